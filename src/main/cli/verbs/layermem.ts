import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const layermem: Verb = {
  name: 'layermem',
  summary: 'LayerMem per layer (needs a reference encoder)',
  usage: 'layermem --model F --reference G --data D [--views 5] [--pairing views|anchor] [--norm paper|range]',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens layermem: not yet available');
  },
};
