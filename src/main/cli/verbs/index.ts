import type { Verb } from '../verb.js';
import { classmem } from './classmem.js';
import { compare } from './compare.js';
import { convert } from './convert.js';
import { demo } from './demo.js';
import { evaluate } from './evaluate.js';
import { finetune } from './finetune.js';
import { inspect } from './inspect.js';
import { layermem } from './layermem.js';
import { merge } from './merge.js';
import { prune } from './prune.js';
import { serve } from './serve.js';
import { unitmem } from './unitmem.js';

/** Verbs in the order `memlens --help` lists them (docs/ARCHITECTURE.md "The CLI contract"). */
export const VERBS: readonly Verb[] = [
  inspect,
  convert,
  unitmem,
  classmem,
  layermem,
  merge,
  prune,
  evaluate,
  compare,
  finetune,
  demo,
  serve,
];
