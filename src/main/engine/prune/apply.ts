// From a selection to an edited model. `planPrune` decides, group by group, which channels are cut
// and which selected units are masked (and why); `applyPlan` performs it on a copy of the model:
// masked units' parameters are zeroed first, in the original indexing, then every coupled slice of
// the cut channels is removed, depthwise `group` attributes, Reshape targets and output shapes follow.
import type { PruneResult } from '../../../shared/api.js';
import {
  attrInt,
  copyMessage,
  create,
  AttributeType,
  editGraph,
  removeUnused,
  float32Tensor,
  int64Tensor,
  tensorToInts,
  type GraphIndex,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../onnx/index.js';
import { channelIndices, type ChannelMap, type Group } from './groups.js';
import { headEdits, headNote } from './heads.js';
import { paramTensor, unitParams, type LayerNode } from './layers.js';
import { sliceAxes, weightValues, zeroUnits } from './weights.js';

export interface PrunePlan {
  /** Channels removed from each group (structural mode). */
  cuts: { group: Group; channels: number[] }[];
  /** Selected units that stay but are zeroed. */
  masks: { layer: LayerNode; units: number[] }[];
  /** Channels of a cuttable group that stay: zeroed in every slice of the group (see planPrune). */
  zeroed: { group: Group; channels: number[] }[];
  report: PruneResult['groups'];
  /** Consequences of the cuts a user should know (PruneResult.notes). */
  notes: string[];
  /** Channels removed from each graph output, in its original indexing (PruneResult.outputs). */
  outputs: PruneResult['outputs'];
}

export interface PlanOptions {
  mode: 'structural' | 'mask';
  /** Mask the groups that reach the model output (the embedding keeps its dimension) instead of cutting them. */
  keepOutput?: boolean;
  /** Cut groups keep a multiple of this many channels (see alignedCut); 1 (default) turns it off. */
  align?: number;
}

/**
 * Coupled layers (residual partners) lose a channel only when every one of them selected it (with
 * coupling 'group' they all select the same channels, so that is the whole selection); a unit selected
 * in some partners only is masked there, so every selected unit is either removed or zeroed and
 * nothing else changes.
 */
export function planPrune(
  groups: Group[],
  layers: LayerNode[],
  selection: Map<string, number[]>,
  opts: PlanOptions,
): PrunePlan {
  const plan: PrunePlan = { cuts: [], masks: [], zeroed: [], report: [], notes: [], outputs: [] };
  for (const g of groups) {
    const members = [...g.sources, ...g.followers];
    const sets = new Map(members.map((m) => [m.layer.name, new Set(selection.get(m.layer.name) ?? [])]));
    const chosen = (name: string) => sets.get(name)!;
    if (!members.some((m) => chosen(m.layer.name).size)) continue;
    const blocked = opts.mode === 'mask' ? undefined : (g.blocked ?? outputReason(g, opts.keepOutput));
    const agreed: number[] = [];
    if (!g.blocked && !blocked) {
      for (let c = 0; c < g.channels; c++) {
        if (g.sources.every((s) => unitsOf(s.map, c).every((u) => chosen(s.layer.name).has(u)))) agreed.push(c);
      }
    }
    const align = opts.align ?? 1;
    const channels = opts.mode === 'mask' ? [] : agreed.slice(0, alignedCut(g.channels, agreed.length, align));
    // Channels the group could lose but keeps are zeroed in every slice, consumers' included: a mask
    // export then computes what the structural one does (a BatchNorm after a Concat, as in DenseNet,
    // would otherwise turn a zeroed channel into its shift).
    if (agreed.length > channels.length) plan.zeroed.push({ group: g, channels: agreed.slice(channels.length) });
    if (channels.length) {
      plan.cuts.push({ group: g, channels });
      plan.report.push({
        layers: [...new Set(members.map((m) => m.layer.name))],
        units: channels.length,
        mode: 'structural',
      });
      if (g.heads) plan.notes.push(headNote(g, channels.length));
      for (const n of g.norms)
        plan.notes.push(`${n} now normalizes over ${g.channels - channels.length} of its ${g.channels} channels`);
      for (const o of g.outputs)
        plan.outputs.push({ name: o.name, removed: channels.flatMap((c) => unitsOf(o.map, c)).sort((a, b) => a - b) });
      for (const o of g.outputs)
        plan.notes.push(
          `the model output ${o.name} loses ${channels.length} of its ${o.width} channels: the embedding dimension changes (keep output masks them instead)`,
        );
    }
    // Selected units that stay are masked; the report says why, per kind.
    const agreedSet = new Set(agreed);
    const reasonFor = (c: number | undefined): string | undefined => {
      if (opts.mode === 'mask') return undefined;
      if (blocked) return blocked;
      if (c !== undefined && agreedSet.has(c))
        return `kept (zeroed) so the group keeps a multiple of ${align} channels for onnxruntime's fast conv kernels`;
      return `a channel is cut only when every coupled source layer (${[...new Set(g.sources.map((s) => s.layer.name))].join(', ')}) selects it`;
    };
    const leftovers = new Map<string | undefined, { layers: Set<string>; units: number }>();
    // A layer may be several members (a fused q/k/v layer is three): its cut units are all of theirs.
    for (const m of members.filter((x, i) => members.findIndex((y) => y.layer === x.layer) === i)) {
      const cut = new Set(
        members.filter((x) => x.layer === m.layer).flatMap((x) => channels.flatMap((c) => unitsOf(x.map, c))),
      );
      const units = [...chosen(m.layer.name)].filter((u) => !cut.has(u)).sort((a, b) => a - b);
      if (!units.length) continue;
      plan.masks.push({ layer: m.layer, units });
      for (const u of units) {
        const reason = reasonFor(channelOf(m.map, u));
        const entry = leftovers.get(reason) ?? { layers: new Set<string>(), units: 0 };
        leftovers.set(reason, entry);
        entry.layers.add(m.layer.name);
        entry.units++;
      }
    }
    for (const [reason, { layers: names, units }] of leftovers) {
      plan.report.push({ layers: [...names], units, mode: 'mask', ...(reason ? { reason } : {}) });
    }
  }
  maskUngrouped(plan, layers, selection, groups);
  return plan;
}

/** Selected layers outside every group (e.g. a depthwise conv fed by the model input) are masked. */
function maskUngrouped(plan: PrunePlan, layers: LayerNode[], selection: Map<string, number[]>, groups: Group[]): void {
  const placed = new Set(groups.flatMap((g) => [...g.sources, ...g.followers].map((m) => m.layer.name)));
  for (const layer of layers) {
    const units = selection.get(layer.name);
    if (placed.has(layer.name) || !units?.length) continue;
    plan.masks.push({ layer, units });
    plan.report.push({
      layers: [layer.name],
      units: units.length,
      mode: 'mask',
      reason: `${layer.name} is not coupled to a channel the pruner can cut`,
    });
  }
}

/**
 * Channels a group may lose so that it keeps a multiple of `align` (when it had one): onnxruntime's
 * blocked (NCHWc) conv kernels work on 8 or 16 channels at a time. Selected channels left over stay
 * masked and are reported. Off by default: the latency it buys is measured in docs/PRUNING.md.
 */
export function alignedCut(channels: number, cut: number, align: number): number {
  if (channels % align !== 0) return cut;
  return Math.max(0, channels - Math.ceil((channels - cut) / align) * align);
}

function outputReason(g: Group, keepOutput?: boolean): string | undefined {
  if (!g.outputs.length || !keepOutput) return undefined;
  return `feeds the model output ${g.outputs[0].name}, whose dimension was asked to stay (keep output)`;
}

function unitsOf(map: ChannelMap, c: number): number[] {
  return channelIndices({ ...map, inner: 1 }, c);
}

/** The channel a member's unit belongs to (undefined outside the group's part of the layer). */
function channelOf(map: ChannelMap, unit: number): number | undefined {
  const c = Math.floor((unit - map.offset) / map.block);
  return unit >= map.offset ? c : undefined;
}

/** The pruned model (a copy; `proto` and the index's graph are not changed). */
export function applyPlan(proto: ModelProto, index: GraphIndex, plan: PrunePlan): ModelProto {
  const zeroed = zeroMasked(index, plan);
  const cuts = removedIndices(plan);
  const params = new Map<string, TensorProto>();
  for (const name of new Set([...zeroed.keys(), ...cuts.keys()])) {
    const t = paramTensor(index, name)!;
    const dims = t.dims.map(Number);
    const keep = dims.map((n, axis) => {
      const gone = cuts.get(name)?.get(axis);
      return gone && Array.from({ length: n }, (_, i) => i).filter((i) => !gone.has(i));
    });
    const sliced = sliceAxes(zeroed.get(name) ?? weightValues(t), dims, keep);
    params.set(name, float32Tensor(name, sliced.dims, sliced.data));
  }
  for (const { group, channels } of plan.cuts) {
    for (const r of group.reshapes) {
      const target = tensorToInts(params.get(r.param) ?? paramTensor(index, r.param)!);
      if (target[r.index] > 0) target[r.index] -= (channels.length * r.map.block * target[r.index]) / r.width;
      params.set(r.param, int64Tensor(r.param, [target.length], target));
    }
  }
  // Attention groups rewrite their shape arithmetic (heads.ts).
  const heads = headEdits(plan.cuts, index);
  for (const [name, t] of heads.params) params.set(name, t);
  const inferred = [...heads.inputs.values()].flatMap((m) => [...m.values()]);
  const groupAttrs = new Map<NodeProto, number>();
  for (const { group, channels } of plan.cuts) {
    for (const a of group.groupAttrs)
      groupAttrs.set(a.node, (groupAttrs.get(a.node) ?? attrInt(a.node, 'group', 1)) - channels.length * a.map.block);
  }
  const touched = new Set(plan.cuts.flatMap((c) => c.group.tensors));
  // A changed parameter read through an Identity of a shared initializer gets its own initializer.
  const unshared = new Set(index.graph.node.filter((n) => n.op_type === 'Identity' && params.has(n.output[0])));
  const edited = editGraph(proto, (d) => {
    d.initializer = [
      ...d.initializer.map((t) => params.get(t.name) ?? t),
      ...[...unshared].map((n) => params.get(n.output[0])!),
      ...inferred,
    ];
    d.node = d.node
      .filter((n) => !unshared.has(n))
      .map((n) => withInputs(withParams(n, params, groupAttrs.get(n)), heads.inputs.get(n)));
    // Shapes of cut activations changed: drop their value_info (optional; checkers re-infer it).
    d.value_info = d.value_info.filter((v) => !touched.has(v.name));
    d.output = d.output.map((o) => {
      const cut = plan.cuts.flatMap(({ group, channels }) =>
        group.outputs.filter((x) => x.name === o.name).map((x) => ({ x, channels })),
      );
      return cut.length ? shrinkOutput(o, cut) : o;
    });
  });
  return unshared.size ? removeUnused(edited) : edited;
}

/** Masked units' parameters, zeroed on float copies in the original indexing. */
function zeroMasked(index: GraphIndex, plan: PrunePlan): Map<string, Float32Array> {
  const data = new Map<string, Float32Array>();
  const zero = (param: string, axis: number, indices: number[], block: number) => {
    const t = paramTensor(index, param)!;
    let v = data.get(param);
    if (!v) data.set(param, (v = weightValues(t).slice()));
    zeroUnits(v, t.dims.map(Number), axis, indices, block);
  };
  for (const { layer, units } of plan.masks)
    for (const p of unitParams(index, layer)) zero(p.param, p.axis, units, p.block);
  for (const { group, channels } of plan.zeroed) {
    for (const s of group.slices)
      zero(
        s.param,
        s.axis,
        channels.flatMap((c) => channelIndices(s, c)),
        1,
      );
  }
  return data;
}

/** Per parameter and axis, the indices the cut channels occupy there. */
function removedIndices(plan: PrunePlan): Map<string, Map<number, Set<number>>> {
  const out = new Map<string, Map<number, Set<number>>>();
  for (const { group, channels } of plan.cuts) {
    for (const s of group.slices) {
      const axes = out.get(s.param) ?? new Map<number, Set<number>>();
      out.set(s.param, axes);
      const set = axes.get(s.axis) ?? new Set<number>();
      axes.set(s.axis, set);
      for (const c of channels) for (const i of channelIndices(s, c)) set.add(i);
    }
  }
  return out;
}

/** A node with its Constant value replaced and/or its `group` attribute changed (a copy when changed). */
function withParams(n: NodeProto, params: Map<string, TensorProto>, group: number | undefined): NodeProto {
  const value = n.op_type === 'Constant' ? params.get(n.output[0]) : undefined;
  if (!value && group === undefined) return n;
  const attribute = n.attribute.map((a) => {
    if (value && a.name === 'value') return copyMessage(a, { t: copyMessage(value, { name: '' }) });
    if (group !== undefined && a.name === 'group') return copyMessage(a, { i: group });
    return a;
  });
  if (value && !n.attribute.some((a) => a.name === 'value')) {
    attribute.splice(
      0,
      attribute.length,
      create('AttributeProto', { name: 'value', type: AttributeType.TENSOR, t: value }),
    );
  }
  return copyMessage(n, { attribute });
}

/** A Concat with the shape entries at `inputs` replaced by new constants (heads.ts). */
function withInputs(n: NodeProto, inputs: Map<number, TensorProto> | undefined): NodeProto {
  if (!inputs) return n;
  return copyMessage(n, { input: n.input.map((i, k) => inputs.get(k)?.name ?? i) });
}

/** A graph output whose channel axis lost `cuts` channels (of `width`, each `size / width` wide). */
function shrinkOutput(o: ValueInfoProto, cuts: { x: Group['outputs'][number]; channels: number[] }[]): ValueInfoProto {
  const tt = o.type?.tensor_type;
  const dims = tt?.shape?.dim;
  const { axis, width, map } = cuts[0].x;
  const at = dims ? dims.length + axis : -1;
  if (!dims || dims[at]?.value !== 'dim_value') return o;
  const size = Number(dims[at].dim_value);
  const removed = cuts.reduce((n, c) => n + c.channels.length, 0) * map.block * (size / width);
  const dim = dims.map((x, k) => (k === at ? { dim_value: size - removed } : x));
  return copyMessage(o, { type: create('TypeProto', { tensor_type: { elem_type: tt!.elem_type, shape: { dim } } }) });
}
