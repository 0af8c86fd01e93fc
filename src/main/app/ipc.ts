// IPC handlers for every API method (src/shared/api.ts) plus the native dialogs: each checks the
// sender and its arguments, then answers with an Envelope that the preload unwraps.
import { API_METHODS, HOST_METHODS, type HostDialogs, type MemLensApi } from '../../shared/api.js';
import { callChecked, checkRequest, envelope, type Spec } from '../engine/dispatch.js';
import { MemLensError } from '../engine/errors.js';
import { guardWrites, type WritePolicy } from '../write-policy.js';
import { channelOf } from './channels.js';

/** The part of Electron's ipcMain used here, so tests can pass a fake. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>): void;
}
export interface IpcEventLike {
  senderFrame?: { url: string } | null;
}

const DIALOG_SPEC: Spec = {
  title: { kind: 'string' },
  save: { kind: 'boolean', optional: true },
  folder: { kind: 'boolean', optional: true },
  defaultPath: { kind: 'string', optional: true },
  extensions: { kind: 'strings', optional: true },
};

/**
 * Registers one handler per method. `trusted` says whether a frame URL is the app's own page:
 * a navigated-away or injected frame gets an error, not the engine. Writes go only where `policy`
 * allows (src/main/write-policy.ts); `dialogs` should record their choices in it.
 */
export function registerIpc(
  ipc: IpcMainLike,
  engine: MemLensApi,
  dialogs: HostDialogs,
  trusted: (url: string) => boolean,
  policy: WritePolicy,
): void {
  const api = guardWrites(engine, policy);
  const guard = (method: string, event: IpcEventLike, args: unknown[]) => {
    if (!trusted(event.senderFrame?.url ?? ''))
      throw new MemLensError('BAD_INPUT', `${method}: call from an untrusted frame`);
    if (args.length > 1)
      throw new MemLensError('BAD_INPUT', `${method}: takes one request argument, got ${args.length}`);
  };
  for (const method of API_METHODS) {
    ipc.handle(channelOf(method), (event, ...args) =>
      envelope(async () => {
        guard(method, event, args);
        return callChecked(api, method, args[0]);
      }),
    );
  }
  for (const method of HOST_METHODS) {
    ipc.handle(channelOf(method), (event, ...args) =>
      envelope(async () => {
        guard(method, event, args);
        checkRequest(method, DIALOG_SPEC, args[0]);
        return dialogs[method](args[0] as Parameters<HostDialogs[typeof method]>[0]);
      }),
    );
  }
}
