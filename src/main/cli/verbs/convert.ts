import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const convert: Verb = {
  name: 'convert',
  summary: 'Re-save an ONNX model, moving weights to or from a side file',
  usage: 'convert IN OUT [--external-data|--embed]',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens convert: not yet available');
  },
};
