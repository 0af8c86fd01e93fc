// An encoder ready to measure: its layers, its input, and a session on a copy of the graph whose
// extra outputs are the taps (per-unit means and/or per-sample Gram matrices), all computed by
// onnxruntime inside the graph (docs/ARCHITECTURE.md "Decisions": reductions go into the graph).
import type { ActivationPolicy, LayerInfo } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import { addOutputs, encodeModel, indexModel, type ModelProto, type OnnxModel, type Tap } from '../onnx/index.js';
import { discoverLayers } from '../units/index.js';
import { addGramOutputs } from './gram.js';
import { modelInput, type InputSpec } from './input.js';
import { createSession, type Session, type TensorData } from './session.js';

export interface TapOptions {
  /** Per-unit means of each layer's activation, averaged over every axis but the batch and the unit axis. */
  means?: boolean;
  /** Where the means read each layer (docs/UNITS.md); default 'raw', the layer's own output. */
  activation?: ActivationPolicy;
  /** Per-sample Gram matrices over this many contiguous images per sample (LayerMem). */
  gramViews?: number;
  size?: [number, number];
  threads?: number;
}

export interface TappedLayer {
  info: LayerInfo;
  /** Units measured: channels ([N,C,H,W]), features ([N,T,C] or [N,C]); 0 where `info.noUnits` says why not. */
  units: number;
  mean?: string;
  gram?: string;
}

export interface TappedEncoder {
  model: OnnxModel;
  input: InputSpec;
  layers: TappedLayer[];
  session: Session;
}

/** Layers in forward order: the named ones, else every prunable one (or every row with `allRows`). */
export function selectLayers(model: OnnxModel, names: string[] | undefined, allRows: boolean): LayerInfo[] {
  const all = discoverLayers(model);
  if (names?.length) {
    const unknown = names.filter((n) => !all.some((l) => l.name === n));
    if (unknown.length) throw new MemLensError('BAD_INPUT', `${model.path} has no layer named ${unknown.join(', ')}`);
    return all.filter((l) => names.includes(l.name));
  }
  const rows = allRows ? all : all.filter((l) => l.prunable);
  if (rows.length === 0)
    throw new MemLensError('BAD_MODEL', `${model.path}: no Conv, Gemm or MatMul layer found to measure`);
  return rows;
}

/** Images in the probe batch: a size no token or channel count is likely to share, to find the batch axis. */
const PROBE_BATCH = 3;

/**
 * Runs the plain graph once on zero images with the layer tensors as outputs: gives their shapes
 * (so taps need no shape inference) and turns "this model cannot take these images" into one line.
 */
async function probeShapes(
  model: OnnxModel,
  input: InputSpec,
  tensors: string[],
  threads?: number,
): Promise<number[][]> {
  const probe = addOutputs(
    model.proto,
    tensors.map((tensor) => ({ tensor, reduce: 'none' as const })),
  );
  const session = await createSession(encodeModel(probe), { threads, cpuOnly: true }, model.path);
  try {
    const out = await runOnZeros(session, model, input, tensors);
    return tensors.map((t) => [...out[t].dims]);
  } finally {
    await session.release();
  }
}

/** One run on PROBE_BATCH zero images; a failure is "this model cannot take these images", one line. */
async function runOnZeros(
  session: Session,
  model: OnnxModel,
  input: InputSpec,
  outputs: string[],
): Promise<Record<string, TensorData>> {
  const { channels: c, height: h, width: w } = input;
  try {
    return await session.run(
      input.name,
      { data: new Float32Array(PROBE_BATCH * c * h * w), dims: [PROBE_BATCH, c, h, w] },
      outputs,
    );
  } catch (e) {
    const why = String((e as Error).message).split('\n')[0];
    throw new MemLensError('BAD_MODEL', `${model.path} cannot take ${c}x${h}x${w} images: ${why}`);
  }
}

/** The mean tap of a layer under `policy` (undefined where the layer has no unit axis). */
function meanTap(l: LayerInfo, policy: ActivationPolicy, name: string): Tap | undefined {
  const r = l.read?.[policy];
  if (!r) return undefined;
  return {
    tensor: r.tensor,
    reduce: 'units',
    unitAxis: r.axis,
    rectify: r.transform === 'relu',
    units: [r.offset, r.offset + l.units],
    name,
  };
}

function meanTaps(layers: LayerInfo[], policy: ActivationPolicy): { taps: Tap[]; names: (string | undefined)[] } {
  const names = layers.map((l, i) => (l.read ? `memlens_mean_${i}` : undefined));
  const taps = layers.flatMap((l, i) => meanTap(l, policy, names[i]!) ?? []);
  return { taps, names };
}

/** The tapped copy of the graph (not yet in a session): what onnxruntime runs for a metric. */
export interface TappedGraph {
  proto: ModelProto;
  input: InputSpec;
  layers: TappedLayer[];
}

export async function tapGraph(model: OnnxModel, layers: LayerInfo[], opts: TapOptions): Promise<TappedGraph> {
  const input = modelInput(model, opts.size);
  const shapes = await probeShapes(
    model,
    input,
    layers.map((l) => l.tensor),
    opts.threads,
  );
  const tapped: TappedLayer[] = layers.map((info) => ({ info, units: info.read ? info.units : 0 }));
  let proto = model.proto;
  if (opts.means) {
    const { taps, names } = meanTaps(layers, opts.activation ?? 'raw');
    proto = addOutputs(proto, taps);
    tapped.forEach((l, i) => (l.mean = names[i]));
  }
  if (opts.gramViews) {
    const taps = shapes.map((dims, i) => {
      const batchAxis = dims[0] === PROBE_BATCH ? 0 : dims[1] === PROBE_BATCH ? 1 : undefined;
      if (batchAxis === undefined) {
        throw new MemLensError(
          'UNSUPPORTED',
          `${model.path}: cannot find the batch axis of ${layers[i].tensor} [${dims.join(', ')}]`,
        );
      }
      const features = dims.reduce((a, b) => a * b, 1) / PROBE_BATCH;
      return { tensor: layers[i].tensor, features, batchAxis, rank: dims.length } as const;
    });
    const g = addGramOutputs(proto, taps, opts.gramViews);
    proto = g.proto;
    tapped.forEach((l, i) => (l.gram = g.outputs[i]));
  }
  return { proto, input, layers: tapped };
}

export async function tapEncoder(model: OnnxModel, layers: LayerInfo[], opts: TapOptions): Promise<TappedEncoder> {
  if (opts.means && !opts.gramViews) {
    const input = modelInput(model, opts.size);
    const index = indexModel(model.proto, { [input.name]: ['batch', input.channels, input.height, input.width] });
    const policy = opts.activation ?? 'raw';
    if (layers.every((l) => !l.read || index.shape(l.read[policy].tensor) !== undefined)) {
      const enc = await meanEncoder(model, layers, input, policy, opts.threads);
      if (enc) return enc;
    }
  }
  const g = await tapGraph(model, layers, opts);
  const session = await createSession(encodeModel(g.proto), { threads: opts.threads }, model.path);
  return { model, input: g.input, layers: g.layers, session };
}

/**
 * Mean taps where static shape inference knows every read tensor's rank: no probe session (a
 * second worker, ~60 ms of start-up); one run of the tapped session on zero images checks the
 * unit counts instead, and says the model cannot take these images as the probe would. Undefined
 * (the session released) if a tap did not come out as one row of the layer's units per image.
 */
async function meanEncoder(
  model: OnnxModel,
  layers: LayerInfo[],
  input: InputSpec,
  policy: ActivationPolicy,
  threads?: number,
): Promise<TappedEncoder | undefined> {
  const { taps, names } = meanTaps(layers, policy);
  const session = await createSession(encodeModel(addOutputs(model.proto, taps)), { threads }, model.path);
  const means = names.filter((m): m is string => m !== undefined);
  const out = await runOnZeros(session, model, input, means).catch(async (e: unknown) => {
    await session.release();
    throw e;
  });
  const rows = (m: string | undefined, units: number) =>
    m === undefined || (out[m].dims.length === 2 && out[m].dims[0] === PROBE_BATCH && out[m].dims[1] === units);
  if (!layers.every((l, i) => rows(names[i], l.units))) {
    await session.release();
    return undefined;
  }
  const tapped = layers.map((info, i) => ({ info, units: names[i] ? info.units : 0, mean: names[i] }));
  return { model, input, layers: tapped, session };
}

/** A tapped encoder being set up in the background: `ready` to use it, `discard()` to drop it unused. */
export interface PendingEncoder {
  ready: Promise<TappedEncoder>;
  discard(): Promise<void>;
  /** Awaits `work` meanwhile; if it fails the encoder is discarded. */
  during<T>(work: Promise<T>): Promise<T>;
}

/**
 * Starts tapping at once, so the worker's part (shape probe, session creation with graph
 * optimization: 100-150 ms on the demo CNN) overlaps what the caller does meanwhile (opening the
 * data, checking the cache). discard() releases the session and swallows a setup failure.
 */
export function startTapEncoder(model: OnnxModel, layers: LayerInfo[], opts: TapOptions): PendingEncoder {
  const ready = tapEncoder(model, layers, opts);
  ready.catch(() => {}); // awaited, or dropped by discard(), later
  const discard = () =>
    ready.then(
      (e) => e.session.release(),
      () => {},
    );
  const during = <T>(work: Promise<T>) =>
    work.catch(async (e: unknown) => {
      await discard();
      throw e;
    });
  return { ready, discard, during };
}

/** Several encoders; if one cannot be tapped, the sessions already started are released. */
export async function tapEncoders(
  specs: { model: OnnxModel; layers: LayerInfo[] }[],
  opts: TapOptions,
): Promise<TappedEncoder[]> {
  const settled = await Promise.allSettled(specs.map((s) => tapEncoder(s.model, s.layers, opts)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return settled.map((r) => (r as PromiseFulfilledResult<TappedEncoder>).value);
  await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.session.release() : undefined)));
  throw failed.reason;
}

/** Output names a pass must fetch. */
export function tapOutputs(enc: Pick<TappedEncoder, 'layers'>): string[] {
  return enc.layers.flatMap((l) => [l.mean, l.gram].filter((n): n is string => n !== undefined));
}
