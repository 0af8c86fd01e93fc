import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const inspect: Verb = {
  name: 'inspect',
  summary: 'Layers and units of an ONNX encoder',
  usage: 'inspect MODEL [--json]',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens inspect: not yet available');
  },
};
