import { beforeEach, describe, expect, it, vi } from 'vitest';
import { API_METHODS, HOST_METHODS } from '../../../src/shared/api.js';
import { CHANNEL_PROGRESS, channelOf } from '../../../src/main/app/channels.js';

const exposed: Record<string, unknown> = {};
const ipcRenderer = { invoke: vi.fn(), on: vi.fn(), off: vi.fn() };
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void (exposed[key] = api) },
  ipcRenderer,
}));

describe('preload', () => {
  beforeEach(async () => {
    vi.resetModules();
    for (const k of Object.keys(exposed)) delete exposed[k];
    await import('../../../src/preload/index.js');
  });

  it('exposes only `memlens`, with exactly the API methods, the dialogs and two subscriptions, all functions', () => {
    expect(Object.keys(exposed)).toEqual(['memlens']);
    const api = exposed.memlens as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...API_METHODS, ...HOST_METHODS, 'onMenu', 'onProgress'].sort());
    for (const v of Object.values(api)) expect(typeof v).toBe('function');
  });

  it('invokes the method channel and re-throws the engine error with its own message', async () => {
    const api = exposed.memlens as Record<string, (req?: unknown) => Promise<unknown>>;
    ipcRenderer.invoke.mockResolvedValueOnce({ result: { name: 'demo' } });
    await expect(api.openProject({ path: '/p' })).resolves.toEqual({ name: 'demo' });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(channelOf('openProject'), { path: '/p' });
    ipcRenderer.invoke.mockResolvedValueOnce({ error: 'model /m.onnx is not an ONNX file', code: 'BAD_MODEL' });
    await expect(api.inspect({ model: '/m.onnx' })).rejects.toMatchObject({
      message: 'model /m.onnx is not an ONNX file',
      code: 'BAD_MODEL',
    });
  });

  it('onProgress hands the renderer the event only (not the IPC event) and unsubscribes', () => {
    const api = exposed.memlens as { onProgress: (l: (p: unknown) => void) => () => void };
    const seen: unknown[] = [];
    const off = api.onProgress((p) => seen.push(p));
    const [channel, handler] = ipcRenderer.on.mock.calls.at(-1)!;
    expect(channel).toBe(CHANNEL_PROGRESS);
    handler({ sender: 'ipc internals' }, { jobId: 'j', done: 1, total: 2, stage: 's' });
    expect(seen).toEqual([{ jobId: 'j', done: 1, total: 2, stage: 's' }]);
    off();
    expect(ipcRenderer.off).toHaveBeenCalledWith(CHANNEL_PROGRESS, handler);
  });
});
