import { describe, expect, it } from 'vitest';
import { API_METHODS, HOST_METHODS, type HostDialogs, type MemLensApi } from '../../../src/shared/api.js';
import { channelOf } from '../../../src/main/app/channels.js';
import { registerIpc, type IpcEventLike, type IpcMainLike } from '../../../src/main/app/ipc.js';
import { WritePolicy } from '../../../src/main/write-policy.js';

const PAGE = 'file:///app/out/renderer/index.html';

function setup() {
  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>>();
  const ipc: IpcMainLike = { handle: (channel, listener) => void handlers.set(channel, listener) };
  const calls: [string, unknown][] = [];
  const engine = Object.fromEntries(
    // Results echo the request: a project opener's result is a ProjectInfo, whose path the write policy records.
    API_METHODS.map((m) => [m, async (req: unknown) => (calls.push([m, req]), { done: m, ...(req as object) })]),
  ) as unknown as MemLensApi;
  const dialogs: HostDialogs = { chooseFile: async (req) => (calls.push(['chooseFile', req]), '/chosen.onnx') };
  registerIpc(ipc, engine, dialogs, (url) => url === PAGE, new WritePolicy('choose it in a dialog'));
  const invoke = (method: string, event: IpcEventLike, ...args: unknown[]) =>
    handlers.get(channelOf(method))!(event, ...args);
  return { handlers, calls, invoke };
}
const fromPage: IpcEventLike = { senderFrame: { url: PAGE } };

describe('registerIpc (main-process handlers)', () => {
  it('registers exactly one handler per API method and host dialog', () => {
    const { handlers } = setup();
    expect([...handlers.keys()].sort()).toEqual([...API_METHODS, ...HOST_METHODS].map(channelOf).sort());
  });

  it('answers a valid call from the app page with the result envelope', async () => {
    const { invoke, calls } = setup();
    expect(await invoke('openProject', fromPage, { path: '/p.memlens.json' })).toEqual({
      result: { done: 'openProject', path: '/p.memlens.json' },
    });
    expect(await invoke('chooseFile', fromPage, { title: 'Open', extensions: ['onnx'] })).toEqual({
      result: '/chosen.onnx',
    });
    expect(calls).toEqual([
      ['openProject', { path: '/p.memlens.json' }],
      ['chooseFile', { title: 'Open', extensions: ['onnx'] }],
    ]);
  });

  it.each([
    ['openProject', [{ path: 1 }], "openProject: field 'path' must be a string"],
    ['openProject', [{ path: '/a' }, 'extra'], 'openProject: takes one request argument, got 2'],
    [
      'prune',
      [{ model: 'm', strategy: 'low', ratio: '0.2', scope: 'layer' }],
      "prune: field 'ratio' must be a finite number",
    ],
    ['cancel', [null], 'cancel: the request must be a plain object'],
    ['chooseFile', [{ title: 'x', save: 'yes' }], "chooseFile: field 'save' must be true or false"],
    ['chooseFile', [{ title: 'x', extensions: 'onnx' }], "chooseFile: field 'extensions' must be a list of strings"],
  ])('rejects malformed arguments to %s without calling the engine', async (method, args, message) => {
    const { invoke, calls } = setup();
    expect(await invoke(method, fromPage, ...args)).toEqual({ error: message, code: 'BAD_INPUT' });
    expect(calls).toEqual([]);
  });

  it('refuses calls from a frame that is not the app page', async () => {
    const { invoke, calls } = setup();
    expect(await invoke('recentProjects', { senderFrame: { url: 'https://evil.example/' } })).toEqual({
      error: 'recentProjects: call from an untrusted frame',
      code: 'BAD_INPUT',
    });
    expect(await invoke('recentProjects', { senderFrame: null })).toMatchObject({ code: 'BAD_INPUT' });
    expect(calls).toEqual([]);
  });
});
