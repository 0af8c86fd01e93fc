// The app's own scheme, app://memlens/: the page is served by the main process with the same
// checks and headers as `memlens serve` (CSP as a header, never a path outside the built renderer)
// instead of file://, where every file on disk is same-origin with the page.
import { readFile } from 'node:fs/promises';
import { rendererAsset } from '../serve/static.js';

export const APP_SCHEME = 'app';
const APP_HOST = 'memlens';

/** The page the app loads; IPC from any other URL is refused (see registerIpc). */
export const APP_PAGE = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The answer to a request for `url` on the app's scheme: a renderer file, or 404. */
export async function appAsset(rendererDir: string, url: string): Promise<Response> {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  let pathname: string | undefined;
  try {
    pathname =
      parsed?.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST
        ? decodeURIComponent(parsed.pathname)
        : undefined;
  } catch {
    pathname = undefined; // a malformed escape names no file
  }
  const asset = pathname === undefined ? undefined : await rendererAsset(rendererDir, pathname);
  if (!asset)
    return new Response('not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  return new Response(await readFile(asset.file), { status: 200, headers: asset.headers });
}
