import { dialog, type BrowserWindow } from 'electron';
import type { HostDialogs } from '../../shared/api.js';
import { recordingChoices, type WritePolicy } from '../write-policy.js';

/** Native open/save dialogs, modal to the main window; each chosen path may then be written (policy). */
export function nativeDialogs(win: () => BrowserWindow | undefined, policy: WritePolicy): HostDialogs {
  return recordingChoices(
    {
      async chooseFile(req) {
        const filters = req.extensions ? [{ name: req.extensions.join(', '), extensions: req.extensions }] : undefined;
        const parent = win();
        if (req.save) {
          const opts = { title: req.title, defaultPath: req.defaultPath, filters };
          const r = parent ? await dialog.showSaveDialog(parent, opts) : await dialog.showSaveDialog(opts);
          return r.canceled || !r.filePath ? null : r.filePath;
        }
        const opts = {
          title: req.title,
          defaultPath: req.defaultPath,
          filters,
          properties: [req.folder ? ('openDirectory' as const) : ('openFile' as const)],
        };
        const r = parent ? await dialog.showOpenDialog(parent, opts) : await dialog.showOpenDialog(opts);
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
    },
    policy,
  );
}
