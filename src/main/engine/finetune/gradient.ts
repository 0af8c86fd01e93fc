// A model plus the nodes computing d loss / d parameter, as one ONNX model onnxruntime runs.
// The parameters become graph inputs (fed each step, since onnxruntime-node has no training API);
// every other initializer stays a constant.
import { MemLensError } from '../errors.js';
import { GraphIndex } from '../onnx/graph-index.js';
import { opsetVersion, setOpset } from '../onnx/opset.js';
import { copyMessage, create, type GraphProto, type ModelProto } from '../onnx/schema.js';
import { tensorToNumbers } from '../onnx/tensor.js';
import { buildBackward } from './backward.js';
import { Emitter } from './emit.js';
import type { Shapes } from './probe.js';

/**
 * Opset of the training graph. Gradient nodes need opset 16 (ScatterElements/ScatterND with
 * reduction). Opsets 13-15 are raised to 16: no op an inference graph uses changed meaning between
 * them (BatchNormalization-14 only added the training mode, off by default). Before 13 Split,
 * Squeeze, Unsqueeze and ReduceSum took their axes as attributes, so those models are refused.
 */
export function trainingOpset(model: ModelProto, what: string): number {
  const v = opsetVersion(model);
  if (v < 13)
    throw new MemLensError(
      'UNSUPPORTED',
      `${what}: opset ${v} is too old to fine-tune (need 13 or newer; re-export the model)`,
    );
  return Math.max(v, 16);
}

/** The model at the training opset; IR 8 is the first that allows opset 16. */
export function withOpset(model: ModelProto, opset: number): ModelProto {
  return setOpset(copyMessage(model, { ir_version: Math.max(Number(model.ir_version), 8) }), opset);
}

/** The graph with these initializers turned into graph inputs of the same type and shape. */
export function promoteToInputs(graph: GraphProto, names: string[]): GraphProto {
  const promoted = new Set(names);
  const params = graph.initializer.filter((t) => promoted.has(t.name));
  const inputs = params.map((t) =>
    create('ValueInfoProto', {
      name: t.name,
      type: create('TypeProto', {
        tensor_type: { elem_type: t.data_type, shape: { dim: t.dims.map((d) => ({ dim_value: Number(d) })) } },
      }),
    }),
  );
  return copyMessage(graph, {
    initializer: graph.initializer.filter((t) => !promoted.has(t.name)),
    // Old exporters also list initializers as inputs; those entries are replaced, not duplicated.
    input: [...graph.input.filter((i) => !params.some((p) => p.name === i.name)), ...inputs],
    value_info: [],
  });
}

export interface GradientModel {
  model: ModelProto;
  /** Parameter -> name of the graph output holding its gradient. */
  grads: Map<string, string>;
}

/**
 * `loss` is a scalar tensor of `model`; `wrt` are initializers or graph inputs. The result's
 * outputs are the model's outputs followed by one gradient per `wrt` tensor. `threads`: the
 * intra-op threads of the session that will run it (some rules pick their kernels by it).
 */
export function gradientModel(
  model: ModelProto,
  loss: string,
  wrt: string[],
  shapes: Shapes,
  what = 'model',
  threads = 1,
): GradientModel {
  const graph = model.graph!;
  const opset = trainingOpset(model, what);
  const floatType =
    graph.initializer.find((t) => t.name === wrt[0])?.data_type ??
    graph.input.find((i) => i.name === wrt[0])?.type?.tensor_type?.elem_type;
  if (floatType === undefined) throw new MemLensError('NOT_FOUND', `${what}: no parameter named ${wrt[0]}`);
  const e = new Emitter(opset, floatType);
  const nodes = graph.node.map((n) => copyMessage(n, { output: [...n.output] }));
  const trainable = new Set(wrt);
  const index = new GraphIndex(graph, opset);
  const shape = (t: string) => {
    const s = shapes.get(t);
    if (!s) throw new MemLensError('BAD_MODEL', `${what}: shape of tensor ${t} is unknown`);
    return s;
  };
  const valueOf = (t: string) => {
    const c = trainable.has(t) ? undefined : index.constantTensor(t);
    return c ? tensorToNumbers(c) : undefined;
  };
  const grads = buildBackward({
    nodes,
    seeds: new Map([[loss, e.scalar(1)]]),
    wrt,
    e,
    shape,
    constant: valueOf,
    threads,
  });
  const named = new Map<string, string>();
  for (const [p, g] of grads) {
    const out = `grad:${p}`;
    e.nodes.push(create('NodeProto', { name: `${out}/identity`, op_type: 'Identity', input: [g], output: [out] }));
    named.set(p, out);
  }
  const outputs = [...graph.output, ...[...named.values()].map((name) => create('ValueInfoProto', { name }))];
  const trained = promoteToInputs(
    copyMessage(graph, {
      node: [...nodes, ...e.nodes],
      initializer: [...graph.initializer, ...e.initializers],
      output: outputs,
    }),
    wrt,
  );
  return { model: withOpset(copyMessage(model, { graph: trained }), opset), grads: named };
}
