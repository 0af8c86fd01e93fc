import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const prune: Verb = {
  name: 'prune',
  summary: 'Prune units chosen by UnitMem and export the model',
  usage: 'prune MODEL --scores F --strategy high|low|random|l1 --ratio R --scope layer|global [--mode structural|mask] --out P.onnx',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens prune: not yet available');
  },
};
