// The desktop host: one locked-down window, the app menu, IPC for the API. The engine runs in a
// worker thread (engine-worker.ts) so this process stays responsive while jobs run.
import { app, BrowserWindow, ipcMain, protocol } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MemLensApi, ProjectInfo } from '../../shared/api.js';
import type { EngineOptions } from '../engine/index.js';
import { findResourcesDir } from '../engine/project/project.js';
import { CHANNEL_PROGRESS } from './channels.js';
import { nativeDialogs } from './dialogs.js';
import { registerIpc } from './ipc.js';
import { installMenu } from './menu.js';
import { APP_PAGE, APP_SCHEME, appAsset } from './protocol.js';
import { createMainWindow } from './window.js';
import { workerApi } from './worker-protocol.js';
import { WritePolicy } from '../write-policy.js';

const mainDir = dirname(fileURLToPath(import.meta.url)); // out/main
const outDir = join(mainDir, '..');

app.enableSandbox();
// Before ready: the app's scheme behaves like https (an origin of its own, secure context, fetch).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.whenReady().then(async () => {
  const rendererDir = join(outDir, 'renderer');
  protocol.handle(APP_SCHEME, (req) => appAsset(rendererDir, req.url));
  const options: EngineOptions = { resourcesDir: findResourcesDir(mainDir), stateDir: app.getPath('userData') };
  let win: BrowserWindow | undefined;
  const remote = workerApi(
    () => new Worker(join(mainDir, 'engine-worker.js'), { workerData: options }),
    (p) => win?.webContents.send(CHANNEL_PROGRESS, p),
  );
  // Outputs go to the open project's folder or a path picked in a dialog (docs/SECURITY.md).
  const policy = new WritePolicy("choose the path with the field's Choose… button");
  const dialogs = nativeDialogs(() => win, policy);
  const refreshMenu = async () => {
    const recent = await remote.recentProjects().catch(() => []);
    if (win) installMenu(win, dialogs, recent);
  };
  // Opening a project changes the recent list, so Open Recent is rebuilt after each one.
  const refreshing =
    <A extends unknown[]>(open: (...args: A) => Promise<ProjectInfo>) =>
    async (...args: A) => {
      const info = await open(...args);
      void refreshMenu();
      return info;
    };
  const engine: MemLensApi = {
    ...remote,
    demoProject: refreshing(remote.demoProject),
    openProject: refreshing(remote.openProject),
    createProject: refreshing(remote.createProject),
  };
  registerIpc(ipcMain, engine, dialogs, (url) => url === APP_PAGE, policy);

  const open = async () => {
    win = createMainWindow(outDir, join(app.getPath('userData'), 'window.json'));
    await refreshMenu();
    win.on('closed', () => (win = undefined));
  };
  await open();
  app.on('activate', () => {
    if (!win) void open();
  });
});
app.on('window-all-closed', () => app.quit());
