// What MemLens knows about each ONNX op, in one table (docs/UNITS.md "Op traits"): shape inference,
// unit discovery, the activation policy and the pruner all read these traits instead of keeping
// their own lists. Written from the ONNX operator spec; an op not listed has no traits.

export interface OpTraits {
  /** Output shape: that of input 0 ('same') or the broadcast of every input ('broadcast'). */
  shape?: 'same' | 'broadcast';
  /** Output channel c depends on channel c of the data input(s) only (elementwise, per-channel norms, pools). */
  channelwise?: boolean;
  /**
   * An activation function, by the sign of what it outputs: 'non-negative' for every input (Relu,
   * Sigmoid, Softplus...), 'signed' (Gelu, SiLU's parts, HardSwish, Tanh...), or 'clip-min' when
   * the lower bound decides (Clip: non-negative when its min is >= 0, as Relu6 is).
   */
  activation?: 'non-negative' | 'signed' | 'clip-min';
  /** Passes its input through unchanged at inference. */
  pass?: boolean;
  /** Binary op whose operands broadcast against each other (a constant operand may be per channel). */
  elementwise?: boolean;
  /** Inputs that are per-channel parameter vectors indexed on axis 0. */
  channelParams?: number[];
  /** Only moves, splits or relabels values (head split/merge in attention). */
  move?: boolean;
  /** A pooling window: keeps the channels, shrinks the spatial axes. */
  pool?: boolean;
  /**
   * A layer with a weight: where the weight's output dimension lands in the output tensor
   * ('channels-first': axis 1 of [N, C, ...]; 'last': the last axis, [..., C]).
   */
  unitAxis?: 'channels-first' | 'last';
}

const T: Record<string, OpTraits> = {};

function set(ops: string, traits: OpTraits): void {
  for (const op of ops.split(' ')) T[op] = { ...T[op], ...traits };
}

set('Conv', { unitAxis: 'channels-first' });
set('Gemm MatMul', { unitAxis: 'last' });

set('Relu Sigmoid Softplus HardSigmoid ThresholdedRelu', {
  shape: 'same',
  channelwise: true,
  activation: 'non-negative',
});
set('Clip', { shape: 'same', channelwise: true, activation: 'clip-min' });
set('LeakyRelu PRelu Tanh HardSwish Elu Selu Celu Gelu Mish', {
  shape: 'same',
  channelwise: true,
  activation: 'signed',
});
set('Erf Softsign Neg Abs Sqrt Exp Log Reciprocal Floor Ceil Round Sign', { shape: 'same', channelwise: true });
set('Identity Dropout', { shape: 'same', channelwise: true, pass: true });
set('BatchNormalization', { shape: 'same', channelwise: true, channelParams: [1, 2, 3, 4] });
set('InstanceNormalization', { shape: 'same', channelwise: true, channelParams: [1, 2] });
set('MaxPool AveragePool LpPool GlobalAveragePool GlobalMaxPool GlobalLpPool', { pool: true });
set('MaxPool AveragePool GlobalAveragePool GlobalMaxPool LpPool', { channelwise: true });
set('Add Sub Mul Div Max Min Sum Mean Pow', { shape: 'broadcast', channelwise: true, elementwise: true });
set('PRelu', { elementwise: true });
set('Sin Cos Not Cast CastLike LogSoftmax GroupNormalization LRN IsNaN IsInf', { shape: 'same' });
set('Mod Equal Less Greater LessOrEqual GreaterOrEqual And Or Xor BitShift', { shape: 'broadcast' });
set('Reshape Transpose Split Squeeze Unsqueeze Gather Slice Identity Dropout Cast Flatten', { move: true });

/** The traits of `op` (empty for an op MemLens knows nothing about). */
export function opTraits(op: string): OpTraits {
  return T[op] ?? {};
}

/** Every op with a trait, as a set (for the places that test membership in a loop). */
export function opsWith(has: (t: OpTraits) => boolean): Set<string> {
  return new Set(Object.keys(T).filter((op) => has(T[op])));
}
