import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const serve: Verb = {
  name: 'serve',
  summary: 'The workbench in a browser (HTTP + WebSocket)',
  usage: 'serve [--port P] [--host H]',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens serve: not yet available');
  },
};
