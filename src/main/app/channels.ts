// IPC channel names shared by the main process and the preload (no Electron import here, so the
// preload bundle stays small).
export const CHANNEL_PROGRESS = 'memlens:progress';
export const CHANNEL_MENU = 'memlens:menu';

export function channelOf(method: string): string {
  return `memlens:call:${method}`;
}
