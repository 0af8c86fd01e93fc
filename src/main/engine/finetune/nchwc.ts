// Training graphs on onnxruntime's CPU provider: Convs moved onto its blocked-layout (NCHWc) kernels.
// onnxruntime's optimizer makes that move itself only for Convs whose weights are constants; in a
// training graph the weights are fed every step (and the input-gradient Convs use flipped copies), so
// those Convs stay on im2col + GEMM. On the demo CNN's layer shapes (batch 64, 2 threads) the NCHWc
// kernel took 0.25-0.5x the time, reorders included. The weight reorder is a rearrangement in the
// graph, which the CPU runtime makes in JS (rearrange.ts). nchwc-passes.ts then takes layout changes
// out again (Relus, 2x2 MaxPools and element-wise ops on the blocked tensors).
import * as ort from 'onnxruntime-node';
import { sessionOptions } from '../infer/providers.js';
import { encodeModel } from '../onnx/codec.js';
import { attrInt, GraphIndex } from '../onnx/graph-index.js';
import { opsetVersion, setOpset } from '../onnx/opset.js';
import { create, DataType, type ModelProto, type NodeProto } from '../onnx/schema.js';
import { tensorToFloat32 } from '../onnx/tensor.js';
import { attribute, Emitter, floatInput } from './emit.js';
import { rearranged } from './rearrange.js';
import { NCHWC_DOMAIN, nchwcNode } from './nchwc-ops.js';
import { withFewerReorders } from './nchwc-passes.js';
import { rewrittenGraph } from './rewrite.js';

/**
 * Source positions, in a [O, I, ...k] weight, of the kernel's layout: OIHWBiBo, i.e.
 * [O/B][I/B][k][Bi][Bo], or OIHWBo where I < block, which is the same with an input block of 1.
 */
function blockedOrder([o, i, ...kernel]: number[], block: number): number[] {
  const size = kernel.reduce((a, b) => a * b, 1);
  const bi = i < block ? 1 : block;
  const order = new Array<number>(o * i * size);
  let t = 0;
  for (let ob = 0; ob < o; ob += block)
    for (let ib = 0; ib < i; ib += bi)
      for (let k = 0; k < size; k++)
        for (let x = 0; x < bi; x++) for (let y = 0; y < block; y++) order[t++] = ((ob + y) * i + ib + x) * size + k;
  return order;
}

/** The weight in the kernel's layout: one Gather, composed with the one that made `w` where it was one. */
function blockedWeight(e: Emitter, index: GraphIndex, w: string, dims: number[], block: number): string {
  const order = blockedOrder(dims, block);
  const upstream = rearranged(index, w);
  return upstream
    ? e.rearrange(
        upstream.source,
        order.map((p) => upstream.order[p]),
        dims,
      )
    : e.rearrange(w, order, dims);
}

/**
 * The model with every eligible Conv replaced by ReorderInput -> nchwc Conv -> ReorderOutput.
 * Eligible (onnxruntime's own rules for the kernel): 2-D, ungrouped, weights not a constant, output
 * channels a multiple of `block`, input channels a multiple of it or fewer than it; float, as every
 * training graph is (trainingModels refuses other models).
 * `block` is the kernel's channel block of this CPU (nchwcBlockSize below).
 */
export function blockedConvs(model: ModelProto, block: number): ModelProto {
  const graph = model.graph!;
  const opset = opsetVersion(model);
  const index = new GraphIndex(graph, opset);
  const e = new Emitter(opset, DataType.FLOAT, 'memlens_nchwc');
  const nodes: NodeProto[] = [];
  let changed = false;
  for (const node of graph.node) {
    const [x, w, b] = node.input;
    const dims = index.shape(w);
    const eligible =
      node.op_type === 'Conv' &&
      !node.domain &&
      attrInt(node, 'group', 1) === 1 &&
      !index.constantTensor(w) &&
      dims?.length === 4 &&
      dims.every((d): d is number => typeof d === 'number') &&
      dims[0] % block === 0 &&
      (dims[1] % block === 0 || dims[1] < block);
    if (!eligible) {
      nodes.push(node);
      continue;
    }
    changed = true;
    const mark = e.nodes.length;
    // Inputs with fewer channels than a block are read as they are (the OIHWBo weight layout).
    const input = dims[1] < block ? x : nchwcNode(e, 'ReorderInput', [x], []);
    const weight = blockedWeight(e, index, w, dims, block);
    const attrs = [
      ...node.attribute.filter((a) => a.name !== 'kernel_shape'),
      attribute('kernel_shape', dims.slice(2)),
    ];
    const y = nchwcNode(e, 'Conv', b ? [input, weight, b] : [input, weight], attrs);
    nchwcNode(e, 'ReorderOutput', [y], [attribute('channels', dims[0])], [node.output[0]]);
    nodes.push(...e.nodes.slice(mark));
  }
  if (!changed) return model;
  const isZero = (name: string) => {
    const t = index.constantTensor(name);
    const v = t && tensorToFloat32(t);
    return v?.length === 1 && v[0] === 0;
  };
  const outputs = new Set(graph.output.map((o) => o.name));
  const fused = withFewerReorders(nodes, index, e, block, isZero, outputs);
  const rewritten = rewrittenGraph(model, fused, { added: e.initializers });
  return setOpset(rewritten, 1, NCHWC_DOMAIN);
}

let blockSize: Promise<number> | undefined;

/** A 16-channel 3x3 Conv with fed weights: one block at 8 or 16. */
function probeConv(): ModelProto {
  return create('ModelProto', {
    ir_version: 8,
    opset_import: [create('OperatorSetIdProto', { domain: '', version: 17 })],
    graph: create('GraphProto', {
      name: 'nchwc-probe',
      node: [
        create('NodeProto', {
          op_type: 'Conv',
          input: ['x', 'w'],
          output: ['y'],
          attribute: [attribute('pads', [1, 1, 1, 1])],
        }),
      ],
      input: [floatInput('x', [1, 16, 5, 5]), floatInput('w', [16, 16, 3, 3])],
      output: [create('ValueInfoProto', { name: 'y' })],
    }),
  });
}

/**
 * The channel block of onnxruntime's NCHWc CPU kernels here: MLAS picks it by CPU (8 with AVX2, 16
 * with AVX-512) and does not say, so a small Conv is run both ways and the block whose blocked graph
 * gives the plain numbers wins. 0 where none does (no such kernels on this CPU or build), and off
 * x64, where MLAS's NCHWc kernels are the x86 ones: there a probe could reach a kernel that is not
 * there rather than fail cleanly.
 */
export function nchwcBlockSize(): Promise<number> {
  blockSize ??= (async () => {
    if (process.arch !== 'x64') return 0;
    const plain = probeConv();
    const feeds = {
      x: new ort.Tensor(
        'float32',
        Float32Array.from({ length: 400 }, (_, i) => Math.sin(i)),
        [1, 16, 5, 5],
      ),
      w: new ort.Tensor(
        'float32',
        Float32Array.from({ length: 2304 }, (_, i) => Math.cos(i)),
        [16, 16, 3, 3],
      ),
    };
    const run = async (model: ModelProto) => {
      const session = await ort.InferenceSession.create(encodeModel(model), sessionOptions(1, 'cpu'));
      try {
        return (await session.run(feeds)).y.data as Float32Array;
      } finally {
        await session.release();
      }
    };
    const want = await run(plain);
    for (const block of [16, 8]) {
      try {
        const got = await run(blockedConvs(plain, block));
        if (want.every((v, i) => Math.abs(v - got[i]) <= 1e-4 * (1 + Math.abs(v)))) return block;
      } catch {
        // kernels missing or refusing this block: try the next
      }
    }
    return 0;
  })();
  return blockSize;
}
