import { MemLensError } from '../../engine/errors.js';
import type { Verb } from '../verb.js';

export const finetune: Verb = {
  name: 'finetune',
  summary: 'Memorization-guided fine-tuning on onnxruntime',
  usage: 'finetune MODEL --train D --test D --layers auto|last:K|NAMES [--reference G] [--epochs E] --out T.onnx',
  async run() {
    throw new MemLensError('UNSUPPORTED', 'memlens finetune: not yet available');
  },
};
