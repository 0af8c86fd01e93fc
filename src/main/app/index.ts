import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';

// Placeholder window until the workbench issue lands: loads the built renderer.
app.whenReady().then(() => {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    webPreferences: { preload: join(__dirname, '../preload/index.cjs'), contextIsolation: true, sandbox: true },
  });
  void win.loadFile(join(__dirname, '../renderer/index.html'));
});
