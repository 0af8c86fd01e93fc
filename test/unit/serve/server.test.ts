import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src/main/engine/index.js';
import { startServer, TOKEN_HEADER, type RunningServer } from '../../../src/main/serve/server.js';

let server: RunningServer;
let engine: Engine;
let base: string;
const root = mkdtempSync(join(tmpdir(), 'memlens-serve-'));

beforeAll(async () => {
  const renderer = join(root, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<p>app</p>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'ok()');
  writeFileSync(join(root, 'secret.txt'), 'secret');
  engine = createEngine({ resourcesDir: join(root, 'resources'), stateDir: join(root, 'state') });
  server = await startServer({ engine, rendererDir: renderer, host: '127.0.0.1', port: 0 });
  base = new URL(server.url).origin;
});
afterAll(() => server.close());

const cookieName = () => `memlens_token_${new URL(base).port}`;

function http(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((ok, fail) => {
    const r = request(base + path, { method, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => ok({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    r.on('error', fail);
    // An answer that never comes fails the test here, not at the runner's timeout.
    r.setTimeout(10_000, () => r.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    r.end(body);
  });
}

describe('memlens serve (HTTP host)', () => {
  it('prints a loopback URL with a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('refuses pages and API calls without the token', async () => {
    expect((await http('GET', '/')).status).toBe(401);
    expect((await http('GET', '/?token=wrong')).status).toBe(401);
    expect((await http('POST', '/api/recentProjects', {}, '{}')).status).toBe(401);
    // The cookie alone does not open the API (another site could make the browser send it).
    expect(
      (await http('POST', '/api/recentProjects', { Cookie: `${cookieName()}=${server.token}` }, '{}')).status,
    ).toBe(401);
  });

  it('serves the page with the token, sets the cookie for its assets, and never leaves the renderer folder', async () => {
    const page = await http('GET', `/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toBe('<p>app</p>');
    // Named after the port: browsers send a host's cookies to every port, so two servers keep apart.
    expect(String(page.headers['set-cookie'])).toContain(`${cookieName()}=${server.token}; HttpOnly; SameSite=Strict`);
    const cookie = { Cookie: `${cookieName()}=${server.token}` };
    const asset = await http('GET', '/assets/app.js', cookie);
    expect([asset.status, asset.body, asset.headers['content-type']]).toEqual([
      200,
      'ok()',
      'text/javascript; charset=utf-8',
    ]);
    expect((await http('GET', '/../secret.txt', cookie)).status).toBe(404);
    expect((await http('GET', '/%2e%2e/secret.txt', cookie)).status).toBe(404);
  });

  it('answers API calls with the envelope, malformed ones with a clear error', async () => {
    const auth = { [TOKEN_HEADER]: server.token, 'Content-Type': 'application/json' };
    expect(JSON.parse((await http('POST', '/api/recentProjects', auth, '')).body)).toEqual({ result: [] });
    expect(JSON.parse((await http('POST', '/api/cancel', auth, '{"jobId":"none"}')).body)).toEqual({ result: null });
    expect(JSON.parse((await http('POST', '/api/openProject', auth, '{"path":1}')).body)).toEqual({
      error: "openProject: field 'path' must be a string",
      code: 'BAD_INPUT',
    });
    expect(JSON.parse((await http('POST', '/api/openProject', auth, '{oops')).body)).toEqual({
      error: 'request body is not valid JSON',
      code: 'BAD_INPUT',
    });
    expect(
      JSON.parse(
        (await http('POST', '/api/openProject', auth, JSON.stringify({ path: join(root, 'none.memlens.json') }))).body,
      ),
    ).toEqual({
      error: `project file ${join(root, 'none.memlens.json')} does not exist`,
      code: 'NOT_FOUND',
    });
  });

  it('streams job progress over the WebSocket as text frames', async () => {
    const port = new URL(base).port;
    const socket = connect(Number(port), '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (c) => (received = Buffer.concat([received, c])));
    socket.write(
      `GET /events?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await expect.poll(() => received.toString()).toContain('\r\n\r\n');
    expect(received.toString()).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    received = Buffer.alloc(0);
    await engine.jobs.run('j7', async (ctl) => ctl.onProgress!(3, 10, 'views'));
    await expect.poll(() => received.length).toBeGreaterThan(2);
    const text = '{"jobId":"j7","done":3,"total":10,"stage":"views"}';
    expect(received[0]).toBe(0x81); // FIN + text
    expect(received[1]).toBe(text.length); // unmasked, short length
    expect(received.subarray(2).toString()).toBe(text);
    socket.destroy();
  });

  it('refuses a foreign Host (DNS rebinding), a foreign Origin, an oversized body and a malformed path', async () => {
    const port = new URL(base).port;
    const auth = { [TOKEN_HEADER]: server.token, 'Content-Type': 'application/json' };
    const rebound = await http('GET', `/?token=${server.token}`, { Host: `attacker.example:${port}` });
    expect([rebound.status, rebound.body]).toEqual([403, 'forbidden host: open the URL memlens serve printed']);
    expect(
      (await http('POST', '/api/recentProjects', { ...auth, Host: `127.0.0.1:${Number(port) + 1}` }, '')).status,
    ).toBe(403);
    expect((await http('GET', `/?token=${server.token}`, { Host: `localhost:${port}` })).status).toBe(200);
    const cross = await http('POST', '/api/recentProjects', { ...auth, Origin: 'http://attacker.example' }, '');
    expect([cross.status, cross.body]).toEqual([403, 'forbidden origin']);
    const big = await http('POST', '/api/saveExport', auth, 'x'.repeat(32 * 1024 * 1024 + 1));
    expect([big.status, big.body]).toEqual([413, 'request body over 33554432 bytes']);
    const bad = await http('GET', '/%', { Cookie: `${cookieName()}=${server.token}` });
    expect([bad.status, bad.body]).toEqual([400, 'malformed request path']);
    expect((await http('POST', '/api/%E0%A4%A', auth, '')).status).toBe(400);
  });

  it('refuses a WebSocket upgrade from a foreign Origin or Host before the handshake', async () => {
    const port = Number(new URL(base).port);
    const upgrade = (headers: string) =>
      new Promise<string>((ok, fail) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        const deadline = setTimeout(() => fail(new Error('no answer within 5 s')), 5000);
        socket.on('data', (c) => {
          text += c;
          if (!text.includes('\r\n')) return;
          clearTimeout(deadline);
          socket.destroy();
          ok(text.split('\r\n')[0]);
        });
        socket.on('error', fail);
        socket.write(
          `GET /events?token=${server.token} HTTP/1.1\r\n${headers}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        );
      });
    expect(await upgrade(`Host: 127.0.0.1:${port}\r\nOrigin: http://attacker.example\r\n`)).toBe(
      'HTTP/1.1 403 Forbidden',
    );
    expect(await upgrade(`Host: rebound.example:${port}\r\n`)).toBe('HTTP/1.1 403 Forbidden');
    expect(await upgrade(`Host: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\n`)).toBe(
      'HTTP/1.1 101 Switching Protocols',
    );
  });
});
