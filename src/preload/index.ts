// Exposes exactly the typed API (src/shared/api.ts) to the sandboxed renderer: one function per
// method, a progress subscription and the menu subscription — no ipcRenderer, no Node.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { API_METHODS, HOST_METHODS, type MenuCommand, type Progress } from '../shared/api.js';
import { unwrap } from '../shared/envelope.js';
import { CHANNEL_MENU, CHANNEL_PROGRESS, channelOf } from '../main/app/channels.js';

function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  const handler = (_e: IpcRendererEvent, value: T) => listener(value);
  ipcRenderer.on(channel, handler);
  return () => ipcRenderer.off(channel, handler);
}

const api: Record<string, unknown> = {};
for (const method of [...API_METHODS, ...HOST_METHODS]) {
  // One argument at most, so the renderer cannot smuggle extra IPC arguments.
  api[method] = async (req?: unknown) => unwrap(await ipcRenderer.invoke(channelOf(method), req), method);
}
api.onProgress = (listener: (p: Progress) => void) => subscribe(CHANNEL_PROGRESS, listener);
api.onMenu = (listener: (m: MenuCommand) => void) => subscribe(CHANNEL_MENU, listener);

contextBridge.exposeInMainWorld('memlens', api);
