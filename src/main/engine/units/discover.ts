// Layer and unit discovery: the rows every metric is computed on, in forward (topological) order.
// Prunable rows are the weight layers; extra rows (residual adds, ViT sublayer outputs, pools) are
// measured for LayerMem only (docs/METRICS.md "Layers and activations").
import type { LayerInfo, LayerKind } from '../../../shared/api.js';
import { indexModel, type GraphIndex, type ModelProto, type NodeProto } from '../onnx/index.js';
import { opTraits } from '../onnx/op-traits.js';
import { activationTensor } from './chain.js';
import { weightLayer, type WeightLayer } from './layers.js';
import { unitReads } from './read.js';
import { sourceThroughMoves, transformerRoles, type Role } from './roles.js';

const ROLE_KIND: Record<Role, LayerKind> = {
  'attention-in': 'attention-proj',
  'attention-out': 'attention-proj',
  'mlp-fc1': 'mlp-fc1',
  'mlp-fc2': 'mlp-fc2',
};

/** Channels of an activation: dim 1 of [N,C,...], the last dim of tokens [N,T,C]. */
function channels(index: GraphIndex, tensor: string): number | undefined {
  const s = index.shape(tensor);
  if (!s || s.length < 2) return undefined;
  const d = s.length === 3 ? s[2] : s[1];
  return typeof d === 'number' ? d : undefined;
}

function layerKind(l: WeightLayer, role: Role | undefined): LayerKind {
  if (role) return ROLE_KIND[role];
  if (l.op === 'Conv') return l.depthwise ? 'depthwise-conv' : 'conv';
  return 'linear';
}

/**
 * The layer whose activation a residual Add adds in, read directly or through reshapes/transposes
 * (torchvision's attention merges heads after its output projection).
 */
function addedLayer(index: GraphIndex, add: NodeProto, byTensor: Map<string, WeightLayer>): WeightLayer | undefined {
  for (const input of add.input) {
    const l = byTensor.get(input) ?? byTensor.get(sourceThroughMoves(index, input)?.output[0] ?? '');
    if (l) return l;
  }
  return undefined;
}

/** Every layer of the model's main graph, in forward order. */
export function discoverLayers(model: { proto: ModelProto }, index: GraphIndex = indexModel(model.proto)): LayerInfo[] {
  const order = index.topologicalOrder();
  const position = new Map(order.map((n, i) => [n, i]));
  const weights = order.map((n) => weightLayer(index, n)).filter((l): l is WeightLayer => l !== undefined);
  const roles = transformerRoles(index, weights);
  const isViT = roles.size > 0;
  const byNode = new Map(weights.map((l) => [l.node, l]));
  const byTensor = new Map(weights.map((l) => [l.tensor, l]));
  const blockOf = new Map<WeightLayer, number>();
  const names = new Set<string>();
  const unique = (n: NodeProto) => {
    let name = n.name || n.output[0];
    for (let k = 2; names.has(name); k++) name = `${n.name || n.output[0]}#${k}`;
    names.add(name);
    return name;
  };

  const rows: LayerInfo[] = [];
  // A ViT block starts at the first attention projection after an MLP (or at the first one).
  let block = -1;
  let inMlp = true;
  for (const n of order) {
    const l = byNode.get(n);
    if (l) {
      const role = roles.get(l);
      if (role === 'attention-in' && inMlp) block++;
      if (role) {
        inMlp = role === 'mlp-fc1' || role === 'mlp-fc2';
        blockOf.set(l, block);
      }
      rows.push({
        name: unique(n),
        op: n.op_type,
        kind: layerKind(l, role),
        tensor: l.tensor,
        output: n.output[0],
        units: l.units,
        ...readsOrReason(unitReads(index, n.output[0], l.tensor, l.units, opTraits(n.op_type).unitAxis!, position)),
        weights: l.weights,
        params: l.params,
        prunable: true,
        ...(role ? { block } : {}),
      });
      continue;
    }
    const extra = extraRow(index, n, isViT, byTensor, blockOf, roles);
    if (!extra) continue;
    const rule = index.shape(extra.tensor)?.length === 4 ? 'channels-first' : 'last';
    const reads = readsOrReason(unitReads(index, extra.tensor, extra.tensor, extra.units, rule, position));
    rows.push({ ...extra, name: unique(n), op: n.op_type, output: n.output[0], ...reads, params: 0, prunable: false });
  }
  return rows;
}

function readsOrReason(r: ReturnType<typeof unitReads>): Pick<LayerInfo, 'read' | 'noUnits'> {
  return 'reason' in r ? { noUnits: r.reason } : { read: r.read };
}

function extraRow(
  index: GraphIndex,
  n: NodeProto,
  isViT: boolean,
  byTensor: Map<string, WeightLayer>,
  blockOf: Map<WeightLayer, number>,
  roles: Map<WeightLayer, Role>,
): Pick<LayerInfo, 'kind' | 'tensor' | 'units' | 'block' | 'sublayer'> | undefined {
  let kind: LayerKind | undefined;
  let tensor = n.output[0];
  let block: number | undefined;
  let sublayer: LayerInfo['sublayer'];
  if (opTraits(n.op_type).pool) kind = 'pool';
  else if (n.op_type === 'Add' && n.input.length === 2 && !n.input.some((i) => index.isConstant(i))) {
    const added = isViT ? addedLayer(index, n, byTensor) : undefined;
    if (added && blockOf.has(added)) {
      kind = 'sublayer-output';
      block = blockOf.get(added);
      sublayer = roles.get(added) === 'attention-out' ? 'attention' : 'mlp';
    } else if (!isViT) {
      kind = 'residual-add';
      tensor = activationTensor(index, tensor, channels(index, tensor) ?? 0);
    }
  }
  if (!kind) return undefined;
  const units = channels(index, tensor);
  if (units === undefined) return undefined;
  return { kind, tensor, units, ...(block === undefined ? {} : { block }), ...(sublayer ? { sublayer } : {}) };
}
