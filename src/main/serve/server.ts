// The browser host: the built renderer plus the engine API over HTTP (POST /api/<method>, JSON
// envelope) and progress over a WebSocket (/events). Every request must carry the random token.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Engine } from '../engine/index.js';
import { dispatch } from '../engine/dispatch.js';
import { guardWrites, WritePolicy } from '../write-policy.js';
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
  /** Folders the API may write in besides the open project's (`--allow-write`); they must exist. */
  allowWrite?: string[];
}

export interface RunningServer {
  /** The address to open, with its token. */
  url: string;
  token: string;
  close(): Promise<void>;
}

export const TOKEN_HEADER = 'x-memlens-token';
// Chart exports arrive base64-encoded; anything larger than this is not a legitimate request.
const MAX_BODY = 32 * 1024 * 1024;
// One page opens a handful of connections; a cap keeps a runaway client from exhausting sockets.
const MAX_CONNECTIONS = 64;
const MAX_SOCKETS = 8;

/** A refusal with its HTTP status, answered as one line of text. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The Host header must name this server by an IP address or localhost, at its port: a page on a DNS
 * name that an attacker points at 127.0.0.1 (DNS rebinding) sends its own name and is refused.
 */
function checkHost(req: IncomingMessage, port: number): string {
  const host = req.headers.host ?? '';
  const m = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):(\d+)$/i.exec(host);
  if (
    !m ||
    Number(m[2]) !== port ||
    (m[1].startsWith('[') ? !isIP(m[1].slice(1, -1)) : m[1] !== 'localhost' && !isIP(m[1]))
  ) {
    throw new Refusal(403, 'forbidden host: open the URL memlens serve printed');
  }
  return host;
}

/** A browser names the page that makes a request; only this server's own pages may call it. */
function checkOrigin(req: IncomingMessage, host: string): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) throw new Refusal(403, 'forbidden origin');
}

/** The request path, decoded; a malformed escape ('/%') is the client's error, not the server's. */
function pathOf(req: IncomingMessage): { pathname: string; query: URLSearchParams } {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    return { pathname: decodeURIComponent(url.pathname), query: url.searchParams };
  } catch {
    throw new Refusal(400, 'malformed request path');
  }
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const sameToken = (t: string | undefined) =>
    t !== undefined && t.length === token.length && timingSafeEqual(Buffer.from(t), Buffer.from(token));
  // Cookies are not separated by port: the name carries it, so two servers on one host keep their own.
  let cookieName = '';
  const policy = new WritePolicy('start memlens serve with --allow-write DIR to allow a folder');
  for (const dir of opts.allowWrite ?? []) await policy.allowFolder(dir);
  const api = guardWrites(opts.engine, policy);

  // Upgraded sockets are not HTTP connections any more: close() must end them itself.
  const peers = new Set<WebSocketPeer>();
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (e instanceof Refusal) {
        // An unread body (413) is not drained: the connection ends with the answer.
        if (e.status === 413) res.setHeader('Connection', 'close');
        reply(res, e.status, 'text/plain', e.message);
      } else reply(res, 500, 'text/plain', `internal error: ${(e as Error).message}`);
    });
  });
  server.maxConnections = MAX_CONNECTIONS;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const host = checkHost(req, port);
    checkOrigin(req, host);
    const { pathname, query } = pathOf(req);
    if (pathname.startsWith('/api/')) {
      // The API needs the header (not the cookie): another site's page cannot set it without a CORS preflight.
      if (!sameToken(header(req, TOKEN_HEADER)))
        return reply(res, 401, 'application/json', JSON.stringify({ error: 'missing or wrong token' }));
      if (req.method !== 'POST') return reply(res, 405, 'text/plain', 'POST only');
      const body = await readBody(req);
      let parsed: unknown;
      try {
        parsed = body.length ? JSON.parse(body) : undefined;
      } catch {
        return reply(
          res,
          400,
          'application/json',
          JSON.stringify({ error: 'request body is not valid JSON', code: 'BAD_INPUT' }),
        );
      }
      const env = await dispatch(api, pathname.slice(5), parsed);
      // JSON drops an undefined member: a void result (cancel) must still arrive as { result: null }.
      return reply(
        res,
        'code' in env && env.code === 'FORBIDDEN' ? 403 : 200,
        'application/json',
        JSON.stringify('result' in env ? { result: env.result ?? null } : env),
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'GET only');
    const fromQuery = query.get('token') ?? undefined;
    if (!sameToken(fromQuery) && !sameToken(cookie(req, cookieName)))
      return reply(res, 401, 'text/plain', 'missing or wrong token: open the URL memlens serve printed');
    // The page's own assets cannot carry the query token, so the first visit leaves it in a strict cookie.
    if (sameToken(fromQuery)) res.setHeader('Set-Cookie', `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    return serveStatic(opts.rendererDir, pathname, req, res);
  }

  server.on('upgrade', (req, socket) => {
    const refuse = (status: string) => void socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    let query: URLSearchParams;
    try {
      checkOrigin(req, checkHost(req, port));
      const p = pathOf(req);
      if (p.pathname !== '/events') return refuse('404 Not Found');
      query = p.query;
    } catch (e) {
      return refuse(e instanceof Refusal && e.status === 400 ? '400 Bad Request' : '403 Forbidden');
    }
    if (!(sameToken(query.get('token') ?? undefined) || sameToken(cookie(req, cookieName))))
      return refuse('401 Unauthorized');
    if (peers.size >= MAX_SOCKETS) return refuse('503 Service Unavailable');
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
  cookieName = `memlens_token_${port}`;
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

/** Whether `host` only listens on this machine (anything else is reachable from the network). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function reply(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, {
    'Content-Type': `${type}; charset=utf-8`,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
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
  const tooLarge = () => new Refusal(413, `request body over ${MAX_BODY} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw tooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
