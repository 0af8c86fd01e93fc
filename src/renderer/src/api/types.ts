import type { HostDialogs, MemLensApi, MenuCommand, Progress } from '../../../shared/api.js';

/** What the screens talk to: the API plus progress, whichever host the page runs in. */
export interface Client extends MemLensApi {
  onProgress(listener: (p: Progress) => void): () => void;
  onMenu(listener: (m: MenuCommand) => void): () => void;
  /** Native dialogs exist only in the desktop host; the browser host asks for a typed path. */
  chooseFile?: HostDialogs['chooseFile'];
}
