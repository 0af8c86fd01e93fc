// The browser host: the built renderer plus the engine API over HTTP (POST /api/<method>, JSON
// envelope) and progress over a WebSocket (/events). Every request must carry the random token.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Engine } from '../engine/index.js';
import { dispatch } from '../engine/dispatch.js';
import { serveStatic } from './static.js';
import { acceptWebSocket, type WebSocketPeer } from './websocket.js';

export interface ServeOptions {
  engine: Engine;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  token?: string;
}

export interface RunningServer {
  /** The address to open, with its token. */
  url: string;
  token: string;
  close(): Promise<void>;
}

export const TOKEN_HEADER = 'x-memlens-token';
const COOKIE = 'memlens_token';
// Chart exports arrive base64-encoded; anything larger than this is not a legitimate request.
const MAX_BODY = 32 * 1024 * 1024;

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const sameToken = (t: string | undefined) =>
    t !== undefined && t.length === token.length && timingSafeEqual(Buffer.from(t), Buffer.from(token));

  // Upgraded sockets are not HTTP connections any more: close() must end them itself.
  const peers = new Set<WebSocketPeer>();
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => reply(res, 500, 'text/plain', `internal error: ${(e as Error).message}`));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/')) {
      // The API needs the header (not the cookie): another site's page cannot set it without a CORS preflight.
      if (!sameToken(header(req, TOKEN_HEADER))) return reply(res, 401, 'application/json', JSON.stringify({ error: 'missing or wrong token' }));
      if (req.method !== 'POST') return reply(res, 405, 'text/plain', 'POST only');
      const body = await readBody(req);
      let parsed: unknown;
      try {
        parsed = body.length ? JSON.parse(body) : undefined;
      } catch {
        return reply(res, 400, 'application/json', JSON.stringify({ error: 'request body is not valid JSON', code: 'BAD_INPUT' }));
      }
      const env = await dispatch(opts.engine, decodeURIComponent(url.pathname.slice(5)), parsed);
      // JSON drops an undefined member: a void result (cancel) must still arrive as { result: null }.
      return reply(res, 200, 'application/json', JSON.stringify('result' in env ? { result: env.result ?? null } : env));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'GET only');
    const fromQuery = url.searchParams.get('token') ?? undefined;
    if (!sameToken(fromQuery) && !sameToken(cookie(req, COOKIE))) return reply(res, 401, 'text/plain', 'missing or wrong token: open the URL memlens serve printed');
    // The page's own assets cannot carry the query token, so the first visit leaves it in a strict cookie.
    if (sameToken(fromQuery)) res.setHeader('Set-Cookie', `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    return serveStatic(opts.rendererDir, url.pathname, req, res);
  }

  server.on('upgrade', (req, socket) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/events' || !(sameToken(url.searchParams.get('token') ?? undefined) || sameToken(cookie(req, COOKIE)))) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    let unsubscribe = () => {};
    const peer = acceptWebSocket(req, socket, () => {
      unsubscribe();
      peers.delete(peer!);
    });
    if (!peer) return;
    peers.add(peer);
    unsubscribe = opts.engine.jobs.subscribe((p) => peer.send(JSON.stringify(p)));
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${hostInUrl}:${port}/?token=${token}`,
    token,
    close: () =>
      new Promise<void>((ok) => {
        for (const p of peers) p.close();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function reply(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { 'Content-Type': `${type}; charset=utf-8`, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error(`request body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
