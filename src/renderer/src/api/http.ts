import { API_METHODS, type ApiMethod, type Envelope, type Progress } from '../../../shared/api.js';
import { ApiError, unwrap } from '../../../shared/envelope.js';
import type { Client } from './types.js';

export interface HttpDeps {
  origin: string;
  token: string;
  fetch: typeof fetch;
  WebSocket: typeof WebSocket;
}

const TOKEN_HEADER = 'x-memlens-token';
// A dropped event socket (server restart, laptop sleep) is retried at this pace.
const RECONNECT_MS = 1000;

/** The API over `memlens serve`: POST /api/<method> with a JSON envelope, progress from /events. */
export function httpClient(deps: HttpDeps): Client {
  const listeners = new Set<(p: Progress) => void>();
  let socket: WebSocket | undefined;
  const connect = () => {
    const url = `${deps.origin.replace(/^http/, 'ws')}/events?token=${encodeURIComponent(deps.token)}`;
    socket = new deps.WebSocket(url);
    socket.onmessage = (e) => {
      const p = JSON.parse(String(e.data)) as Progress;
      for (const l of listeners) l(p);
    };
    socket.onclose = () => {
      socket = undefined;
      if (listeners.size > 0) setTimeout(() => listeners.size > 0 && !socket && connect(), RECONNECT_MS);
    };
  };

  const call = (method: ApiMethod) => async (req?: unknown) => {
    let res: Response;
    try {
      res = await deps.fetch(`${deps.origin}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: deps.token },
        body: req === undefined ? '' : JSON.stringify(req),
      });
    } catch (e) {
      throw new ApiError(`${method}: the MemLens server is not reachable (${(e as Error).message})`);
    }
    if (res.status === 401)
      throw new ApiError('the MemLens server refused the token: open the URL that memlens serve printed');
    return unwrap((await res.json()) as Envelope<unknown>, method);
  };

  const api = Object.fromEntries(API_METHODS.map((m) => [m, call(m)])) as unknown as Client;
  api.onProgress = (listener) => {
    listeners.add(listener);
    if (!socket) connect();
    return () => listeners.delete(listener);
  };
  api.onMenu = () => () => {};
  return api;
}
