import { BrowserWindow, screen, shell } from 'electron';
import { join } from 'node:path';
import { APP_PAGE } from './protocol.js';
import { loadBounds, saveBounds, type Bounds } from './window-state.js';

/** Bounds that are still on a connected display (a monitor may have been unplugged since). */
function onScreen(b: Bounds): Bounds {
  if (b.x === undefined || b.y === undefined) return b;
  const area = screen.getDisplayMatching({ x: b.x, y: b.y, width: b.width, height: b.height }).workArea;
  const visible =
    b.x < area.x + area.width && b.y < area.y + area.height && b.x + b.width > area.x && b.y + b.height > area.y;
  return visible ? b : { width: b.width, height: b.height };
}

/** The locked-down main window: sandboxed, isolated, no navigation, no new windows. */
export function createMainWindow(outDir: string, boundsFile: string): BrowserWindow {
  const bounds = onScreen(loadBounds(boundsFile));
  const win = new BrowserWindow({
    ...bounds,
    minWidth: 800,
    minHeight: 560,
    title: 'MemLens',
    show: false,
    webPreferences: {
      preload: join(outDir, 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (bounds.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());

  // External links open in the system browser; the app window itself never leaves its page.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const stay = (e: { preventDefault(): void }, url: string) => {
    if (url !== APP_PAGE) e.preventDefault();
  };
  win.webContents.on('will-navigate', stay);
  win.webContents.on('will-redirect', stay);
  // Frames (none are expected) may not navigate anywhere either.
  win.webContents.on('will-frame-navigate', (e) => {
    if (!e.isMainFrame || e.url !== APP_PAGE) e.preventDefault();
  });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());
  // The app asks for no permission (camera, notifications, clipboard-read...): refuse requests and checks.
  win.webContents.session.setPermissionRequestHandler((_wc, _perm, done) => done(false));
  win.webContents.session.setPermissionCheckHandler(() => false);

  win.on('close', () => {
    void saveBounds(boundsFile, { ...win.getNormalBounds(), maximized: win.isMaximized() });
  });
  void win.loadURL(APP_PAGE);
  return win;
}
