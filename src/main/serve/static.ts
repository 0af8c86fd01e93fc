import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * The page's Content-Security-Policy, sent as a header by both hosts (the app's protocol and serve)
 * for every file: scripts and style sheets only from the app itself (Svelte's CSS is built into
 * files), inline style attributes only (charts set them), images also from data:/blob: URLs (samples),
 * no plugins, no <base>, no form posts, never framed.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A file of the built renderer at a decoded URL path, or undefined: never a path outside `root`. */
export async function rendererAsset(
  root: string,
  pathname: string,
): Promise<{ file: string; size: number; headers: Record<string, string> } | undefined> {
  const base = resolve(root);
  const file = resolve(join(base, pathname === '/' ? '/index.html' : pathname));
  const info = file.startsWith(base + sep) ? await stat(file).catch(() => undefined) : undefined;
  if (!info?.isFile()) return undefined;
  const headers = {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
  };
  return { file, size: info.size, headers };
}

/** Serves a file of the built renderer. `pathname` is already decoded (server.ts), never decoded twice. */
export async function serveStatic(
  root: string,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const asset = await rendererAsset(root, pathname);
  if (!asset) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found');
    return;
  }
  res.writeHead(200, { ...asset.headers, 'Content-Length': asset.size });
  if (req.method === 'HEAD') res.end();
  else createReadStream(asset.file).pipe(res);
}
