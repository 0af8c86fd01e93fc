// The two models a fine-tuning run executes: `train` (encoder, linear head, softmax cross-entropy,
// and the gradients of every trainable tensor) and `evaluate` (encoder and head, logits only).
// Trainable tensors are graph inputs of both, so the loop feeds the current weights each step.
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';
import { copyMessage, create, DataType, type ModelProto } from '../onnx/schema.js';
import { Emitter, floatInput } from './emit.js';
import { gradientModel, promoteToInputs, trainingOpset, withOpset } from './gradient.js';
import { probeShapes } from './probe.js';

export const LABELS = 'memlens_labels';
export const HEAD_WEIGHT = 'memlens_head.weight';
export const HEAD_BIAS = 'memlens_head.bias';
export const LOGITS = 'memlens_logits';
export const LOSS = 'memlens_loss';

export interface TrainingSpec {
  input: string;
  /** [channels, height, width] of one image. */
  chw: [number, number, number];
  classes: number;
  /** Encoder initializers to train (empty: head only). */
  trainable: string[];
  /** Intra-op threads of each session that runs the training graph (trainer.ts planTraining). */
  threads: number;
}

export interface TrainingModels {
  train: ModelProto;
  evaluate: ModelProto;
  /** What the loop feeds and updates, in order: the trainable encoder tensors, then the head. */
  params: string[];
  /** Graph output of `train` holding each param's gradient, aligned with `params`. */
  grads: string[];
  /** Length of the flattened embedding (the head's input). */
  features: number;
  /** Rank of the embedding output (the head flattens it when above 2). */
  embeddingRank: number;
}

const zeros = (dims: number[]) => new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);

/** The linear head on the flattened embedding: `logits` = Gemm(Flatten(embedding), W, b) with W [classes, features]. */
export function emitHead(e: Emitter, embedding: string, rank: number, logits: string): void {
  const flat = rank > 2 ? e.op('Flatten', [embedding], { axis: 1 }) : embedding;
  e.node('Gemm', [flat, HEAD_WEIGHT, HEAD_BIAS], { transB: 1 }, [logits]);
}

/** The encoder with a linear head (logits) and, when `withLoss`, the mean cross-entropy against one-hot labels. */
function withHead(
  model: ModelProto,
  opset: number,
  classes: number,
  features: number,
  rank: number,
  withLoss: boolean,
): ModelProto {
  const graph = model.graph!;
  const e = new Emitter(opset, DataType.FLOAT, 'memlens_head');
  emitHead(e, graph.output[0].name, rank, LOGITS);
  const inputs = [floatInput(HEAD_WEIGHT, [classes, features]), floatInput(HEAD_BIAS, [classes])];
  if (withLoss) {
    const logp = e.op('LogSoftmax', [LOGITS], { axis: 1 });
    const perSample = e.reduceSum(e.op('Mul', [LABELS, logp]), [1], false);
    e.node('Neg', [e.reduce('ReduceMean', perSample, [0], false)], {}, [LOSS]);
    inputs.push(floatInput(LABELS, ['batch', classes]));
  }
  const outputs = (withLoss ? [LOSS, LOGITS] : [LOGITS]).map((name) => create('ValueInfoProto', { name }));
  return copyMessage(model, {
    graph: copyMessage(graph, {
      node: [...graph.node, ...e.nodes],
      initializer: [...graph.initializer, ...e.initializers],
      input: [...graph.input, ...inputs],
      output: outputs,
    }),
  });
}

export async function trainingModels(model: ModelProto, spec: TrainingSpec, what: string): Promise<TrainingModels> {
  const opset = trainingOpset(model, what);
  const inputType = model.graph!.input.find((i) => i.name === spec.input)?.type?.tensor_type?.elem_type;
  if (inputType !== DataType.FLOAT)
    throw new MemLensError('UNSUPPORTED', `${what}: fine-tuning needs a float32 model input`);
  const images = (n: number) => ({ [spec.input]: zeros([n, ...spec.chw]) });
  const embedding = model.graph!.output[0].name;
  const encoderShapes = await probeShapes(model, [images(1), images(2)]);
  const [, ...rest] = encoderShapes.get(embedding)!;
  const features = rest.reduce<number>((a, d) => a * (d ?? NaN), 1);
  if (!Number.isFinite(features))
    throw new MemLensError('UNSUPPORTED', `${what}: the size of output ${embedding} depends on the batch`);

  const head = { [HEAD_WEIGHT]: zeros([spec.classes, features]), [HEAD_BIAS]: zeros([spec.classes]) };
  const lossModel = withHead(model, opset, spec.classes, features, rest.length + 1, true);
  const feeds = (n: number) => ({ ...images(n), ...head, [LABELS]: zeros([n, spec.classes]) });
  const shapes = await probeShapes(lossModel, [feeds(1), feeds(2)]);
  const params = [...spec.trainable, HEAD_WEIGHT, HEAD_BIAS];
  const { model: train, grads } = gradientModel(lossModel, LOSS, params, shapes, what, spec.threads);

  const evalModel = withHead(model, opset, spec.classes, features, rest.length + 1, false);
  const evaluate = withOpset(
    copyMessage(evalModel, { graph: promoteToInputs(evalModel.graph!, spec.trainable) }),
    opset,
  );
  return { train, evaluate, params, grads: params.map((p) => grads.get(p)!), features, embeddingRank: rest.length + 1 };
}
