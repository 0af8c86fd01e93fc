import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const unitmem: Verb = {
  name: 'unitmem',
  summary: 'UnitMem per unit (needs only the encoder)',
  usage: 'unitmem MODEL --data D [--views 10] [--augment simclr|none] [--rest mean|median] [--seed S] [--out F] [--csv F]',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens unitmem: not yet available');
  },
};
