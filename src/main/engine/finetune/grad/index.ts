// Every op with a backward rule, by op type (ai.onnx domain).
import { ACTIVATION_RULES } from './activation.js';
import { ARITHMETIC_RULES } from './arithmetic.js';
import { CONV_RULES } from './conv.js';
import { LINEAR_RULES } from './linear.js';
import { NORM_RULES } from './norm.js';
import { POOL_RULES } from './pool.js';
import { REDUCE_RULES } from './reduce.js';
import type { GradRule } from './rule.js';
import { SHAPE_RULES } from './shape.js';

export const GRAD_RULES: Readonly<Record<string, GradRule>> = {
  ...ARITHMETIC_RULES,
  ...ACTIVATION_RULES,
  ...LINEAR_RULES,
  ...CONV_RULES,
  ...POOL_RULES,
  ...REDUCE_RULES,
  ...SHAPE_RULES,
  ...NORM_RULES,
};

/** Ops whose outputs carry no gradient (shapes, comparisons, indices). */
export const NON_DIFFERENTIABLE = new Set([
  'Shape',
  'Size',
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'ArgMax',
  'ArgMin',
  'Not',
  'And',
  'Or',
  'ConstantOfShape',
  'Constant',
  'NonZero',
]);

export type { Dim, GradContext, GradRule } from './rule.js';
