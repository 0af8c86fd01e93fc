// Which layers to fine-tune: `auto[:K]` = the K layers with the highest DeltaLayerMem of the model
// against its reference (the paper's memorization-guided choice, K = 3 by default), `last:K`,
// `all`, or explicit names. A layer's trainable tensors are its weight and bias initializers.
import type { JobControl, LayerMemRequest } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import { computeLayerMem } from '../metrics/layermem-job.js';
import { indexModel, type OnnxModel } from '../onnx/index.js';
import { discoverLayers } from '../units/index.js';

export const DEFAULT_AUTO_LAYERS = 3;

export interface TrainableLayer {
  name: string;
  /** Initializers trained with the layer (weight, then bias where it has one). */
  params: string[];
  /** DeltaLayerMem where `auto` chose it. */
  delta?: number;
}

/** Every weight layer in forward order with its weight and bias initializers (the layer records of units/). */
export function trainableLayers(model: OnnxModel): TrainableLayer[] {
  const index = indexModel(model.proto);
  return discoverLayers(model, index)
    .filter((l) => l.prunable)
    .map((row) => ({ name: row.name, params: (row.weights ?? []).filter((t) => index.initializer(t) !== undefined) }));
}

function count(spec: string, what: string): number {
  const k = Number(spec);
  if (!Number.isInteger(k) || k < 1)
    throw new MemLensError('BAD_INPUT', `--layers ${what}:K needs a positive integer K, got '${spec}'`);
  return k;
}

export interface SelectContext {
  reference?: string;
  /** Data and options for the LayerMem measurement behind `auto`. */
  layermem: Omit<LayerMemRequest, 'model' | 'reference'>;
}

export async function selectLayers(
  model: OnnxModel,
  spec: string,
  ctx: SelectContext,
  ctl: JobControl = {},
): Promise<TrainableLayer[]> {
  const all = trainableLayers(model);
  const [mode, arg] = spec.split(':', 2);
  if (spec === 'all') return all;
  if (mode === 'last') {
    const k = count(arg ?? '', 'last');
    if (k > all.length)
      throw new MemLensError('BAD_INPUT', `--layers last:${k}: ${model.path} has only ${all.length} layers`);
    return all.slice(-k);
  }
  if (mode === 'auto') {
    const k = arg === undefined ? DEFAULT_AUTO_LAYERS : count(arg, 'auto');
    if (!ctx.reference)
      throw new MemLensError(
        'BAD_INPUT',
        '--layers auto ranks layers by DeltaLayerMem and needs --reference (the reference encoder g)',
      );
    const mem = await computeLayerMem({ ...ctx.layermem, model: model.path, reference: ctx.reference }, ctl);
    const delta = new Map(mem.layers.map((l) => [l.name, l.delta]));
    const ranked = all.filter((l) => delta.has(l.name)).sort((a, b) => delta.get(b.name)! - delta.get(a.name)!);
    // Chosen layers train in forward order; the ranking is kept in `delta`.
    const chosen = new Set(ranked.slice(0, k).map((l) => l.name));
    return all.filter((l) => chosen.has(l.name)).map((l) => ({ ...l, delta: delta.get(l.name) }));
  }
  const names = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new MemLensError('BAD_INPUT', '--layers needs auto[:K], last:K, all or layer names');
  return names.map((name) => {
    const layer = all.find((l) => l.name === name);
    if (!layer) {
      const known = all.map((l) => l.name);
      const list = known.length > 8 ? `${known.slice(0, 8).join(', ')}, ...` : known.join(', ');
      throw new MemLensError('BAD_INPUT', `unknown layer '${name}' in ${model.path} (layers: ${list})`);
    }
    return layer;
  });
}
