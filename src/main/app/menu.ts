import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { basename } from 'node:path';
import type { HostDialogs, MenuCommand } from '../../shared/api.js';
import { CHANNEL_MENU } from './channels.js';

/** The app menu; its commands go to the renderer, which owns the screens' state. */
export function installMenu(win: BrowserWindow, dialogs: HostDialogs, recent: string[]): void {
  const send = (m: MenuCommand) => win.webContents.send(CHANNEL_MENU, m);
  const pick = async (title: string, extensions: string[], command: 'open-project' | 'open-model') => {
    const path = await dialogs.chooseFile({ title, extensions });
    if (path) send({ command, path });
  };
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        {
          label: 'Open Project…',
          accelerator: 'CmdOrCtrl+O',
          click: () => pick('Open project', ['json'], 'open-project'),
        },
        {
          label: 'Open Model…',
          accelerator: 'CmdOrCtrl+Shift+O',
          click: () => pick('Open ONNX model', ['onnx'], 'open-model'),
        },
        {
          label: 'Open Recent',
          submenu: recent.length
            ? recent.map((path) => ({
                label: basename(path),
                sublabel: path,
                click: () => send({ command: 'open-project', path }),
              }))
            : [{ label: 'No recent projects', enabled: false }],
        },
        { type: 'separator' },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => send({ command: 'export' }) },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
