import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_PAGE, appAsset } from '../../../src/main/app/protocol.js';

const root = mkdtempSync(join(tmpdir(), 'memlens-protocol-'));
const renderer = join(root, 'renderer');
mkdirSync(join(renderer, 'assets'), { recursive: true });
writeFileSync(join(renderer, 'index.html'), '<p>app</p>');
writeFileSync(join(renderer, 'assets', 'app.js'), 'ok()');
writeFileSync(join(root, 'secret.txt'), 'secret');

describe('app:// (the app page without file://)', () => {
  it('serves the page and its assets with the CSP as a header', async () => {
    const page = await appAsset(renderer, APP_PAGE);
    expect([page.status, await page.text(), page.headers.get('content-type')]).toEqual([
      200,
      '<p>app</p>',
      'text/html; charset=utf-8',
    ]);
    const csp = page.headers.get('content-security-policy')!;
    for (const rule of [
      "script-src 'self'",
      "style-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "object-src 'none'",
      "frame-ancestors 'none'",
    ])
      expect(csp).toContain(rule);
    expect(csp).not.toMatch(/style-src [^;]*unsafe-inline/);
    expect(await (await appAsset(renderer, 'app://memlens/assets/app.js')).text()).toBe('ok()');
  });

  it('answers 404 outside the renderer folder, on another host and for malformed escapes', async () => {
    for (const url of [
      'app://memlens/../secret.txt',
      'app://memlens/%2e%2e/secret.txt',
      'app://other/index.html',
      'app://memlens/%',
      'file:///etc/passwd',
    ]) {
      const r = await appAsset(renderer, url);
      expect([url, r.status, await r.text()]).toEqual([url, 404, 'not found']);
    }
  });
});
