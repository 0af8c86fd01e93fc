// Finite-difference harness: a small graph with random inputs, a random linear loss on its output,
// the gradient graph run by onnxruntime, and central differences of the loss run by onnxruntime.
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../../src/main/engine/onnx/codec.js';
import { create, DataType, type NodeProto, type TensorProto } from '../../../src/main/engine/onnx/schema.js';
import { attribute, tensorProto, type AttrInit } from '../../../src/main/engine/finetune/emit.js';
import { gradientModel } from '../../../src/main/engine/finetune/gradient.js';
import { probeShapes } from '../../../src/main/engine/finetune/probe.js';

export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrInit> = {}): NodeProto {
  return create('NodeProto', {
    name: `${op}_${outputs[0]}`,
    op_type: op,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  });
}

/** Deterministic uniform values in [lo, hi) (mulberry32), so every run checks the same numbers. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  });
}

export interface Case {
  nodes: NodeProto[];
  /** Random float inputs (every one is differentiated), name -> dims. */
  inputs: Record<string, number[]>;
  /** Constant tensors (shapes, indices, frozen parameters). */
  constants?: TensorProto[];
  /** The output the random linear loss reads (default: the last node's first output). */
  output?: string;
  type?: 'float32' | 'float64';
  /** Central-difference step; see the tests for the choice per op. */
  step?: number;
  opset?: number;
  /** Inputs are drawn from [lo, hi). */
  range?: [number, number];
}

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * Returns, per input, max |fd - analytic| / max |fd| over all its elements: the relative error
 * of the gradient graph against central differences of the same loss.
 */
export async function gradientError(c: Case): Promise<Record<string, number>> {
  const type = c.type ?? 'float64';
  const dataType = type === 'float64' ? DataType.DOUBLE : DataType.FLOAT;
  const Arr = type === 'float64' ? Float64Array : Float32Array;
  const names = Object.keys(c.inputs);
  const [lo, hi] = c.range ?? [-1, 1];
  const values = new Map(names.map((n, i) => [n, new Arr(uniform(size(c.inputs[n]), 11 + i, lo, hi))]));
  const feeds = () => Object.fromEntries(names.map((n) => [n, new ort.Tensor(type, values.get(n)!, c.inputs[n])]));
  const y = c.output ?? c.nodes.at(-1)!.output[0];
  const graph = (nodes: NodeProto[], inits: TensorProto[], outputs: string[]) =>
    create('ModelProto', {
      ir_version: 8,
      opset_import: [create('OperatorSetIdProto', { domain: '', version: c.opset ?? 17 })],
      graph: create('GraphProto', {
        name: 'case',
        node: nodes,
        initializer: inits,
        input: names.map((n) =>
          create('ValueInfoProto', {
            name: n,
            type: create('TypeProto', {
              tensor_type: { elem_type: dataType, shape: { dim: c.inputs[n].map((d) => ({ dim_value: d })) } },
            }),
          }),
        ),
        output: outputs.map((name) => create('ValueInfoProto', { name })),
      }),
    });
  const forward = graph(c.nodes, c.constants ?? [], [y]);
  const yDims = (await probeShapes(forward, [feeds()])).get(y)! as number[];
  const weights = tensorProto('loss_weights', dataType, yDims, uniform(size(yDims), 7));
  const lossNodes = [
    node('Mul', [y, 'loss_weights'], ['weighted']),
    node('ReduceSum', ['weighted'], ['loss'], { keepdims: 0 }),
  ];
  const withLoss = graph([...c.nodes, ...lossNodes], [...(c.constants ?? []), weights], ['loss']);
  const shapes = await probeShapes(withLoss, [feeds()]);
  const { model, grads } = gradientModel(withLoss, 'loss', names, shapes, 'case');
  const session = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1 });
  const loss = async () => Number((await session.run(feeds(), ['loss'])).loss.data[0]);
  const analytic = await session.run(feeds());
  const h = c.step ?? 1e-6;
  const errors: Record<string, number> = {};
  for (const n of names) {
    const x = values.get(n)!;
    const g = analytic[grads.get(n)!].data as Float64Array;
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + h;
      const up = await loss();
      x[i] = keep - h;
      const down = await loss();
      x[i] = keep;
      const fd = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - g[i]));
      scale = Math.max(scale, Math.abs(fd));
    }
    errors[n] = worst / scale;
  }
  await session.release();
  return errors;
}
