import { describe, expect, it, vi } from 'vitest';
import { httpClient } from '../../../src/renderer/src/api/http.js';

class FakeSocket {
  static last: FakeSocket;
  onmessage?: (e: { data: string }) => void;
  onclose?: () => void;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
}

function client(reply: { status: number; body: unknown }) {
  const fetch = vi.fn(async () => ({ status: reply.status, json: async () => reply.body }) as Response);
  const api = httpClient({
    origin: 'http://127.0.0.1:5000',
    token: 'tok',
    fetch: fetch as unknown as typeof globalThis.fetch,
    WebSocket: FakeSocket as unknown as typeof WebSocket,
  });
  return { api, fetch };
}

describe('HTTP transport (browser host)', () => {
  it('POSTs the request with the token header and returns the result', async () => {
    const { api, fetch } = client({ status: 200, body: { result: ['a.memlens.json'] } });
    await expect(api.openProject({ path: '/p' })).resolves.toEqual(['a.memlens.json']);
    expect(fetch).toHaveBeenCalledWith('http://127.0.0.1:5000/api/openProject', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'x-memlens-token': 'tok' },
      body: '{"path":"/p"}',
    });
  });

  it("re-throws the engine's message and code", async () => {
    const { api } = client({ status: 200, body: { error: 'data folder /d is empty', code: 'BAD_DATA' } });
    await expect(api.unitmem({ model: 'm', data: '/d' })).rejects.toMatchObject({
      message: 'data folder /d is empty',
      code: 'BAD_DATA',
    });
  });

  it('explains a refused token', async () => {
    const { api } = client({ status: 401, body: {} });
    await expect(api.recentProjects()).rejects.toThrow('refused the token');
  });

  it('subscribes to /events with the token and hands out progress events', () => {
    const { api } = client({ status: 200, body: {} });
    const seen: unknown[] = [];
    api.onProgress((p) => seen.push(p));
    expect(FakeSocket.last.url).toBe('ws://127.0.0.1:5000/events?token=tok');
    FakeSocket.last.onmessage!({ data: '{"jobId":"j","done":1,"total":2,"stage":"s"}' });
    expect(seen).toEqual([{ jobId: 'j', done: 1, total: 2, stage: 's' }]);
  });
});
