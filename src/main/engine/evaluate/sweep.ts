// compare: the accuracy-versus-memorization sweep behind `memlens compare`, the demo and the app's
// comparison screen. For every strategy x (scope, ratio) x seed: structural prune (prune/), probe
// accuracy of the pruned encoder, mean UnitMem of the units it keeps (scores of the unpruned model),
// LayerMem of its embedding against a reference encoder when one is given, params, FLOPs and
// measured latency. Outputs compare.json, compare.csv and report.html.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CompareRequest, CompareResult, ComparePoint, JobControl, PruneStrategy, UnitMemResult } from '../../../shared/api.js';
import { STRATEGY_NAMES, strategyInfo } from '../../../shared/strategies.js';
import { MemLensError, throwIfAborted } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { outputLayerMem, type OutputLayerMem } from '../metrics/layermem-job.js';
import { computeUnitMem } from '../metrics/unitmem-job.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { pruneModel } from '../prune/export.js';
import { modelCost } from '../prune/cost.js';
import { compareCsv } from './csv.js';
import { openProbeData, probeModel, type ProbeData } from './evaluate.js';
import { measureLatency } from './latency.js';
import { probeSettings, type ProbeSettings } from './probe.js';
import { compareReport } from './report.js';

export const DEFAULT_SEEDS = [0, 1, 2];

/** One cell of the sweep grid; the demo uses a grid that is not a full scopes x ratios product. */
export interface GridCell {
  scope: 'layer' | 'global';
  ratio: number;
}

export interface SweepPlan {
  model: OnnxModel;
  scores: UnitMemResult;
  data: ProbeData;
  probe: ProbeSettings;
  strategies: PruneStrategy[];
  grid: GridCell[];
  /** Seeds for the random strategy; the deterministic strategies run once, with the first. */
  seeds: number[];
  /** Folder for the pruned models. */
  modelsDir: string;
  /** LayerMem of a model's embedding against the reference, when there is one. */
  layerMem?: OutputLayerMem;
}

/** Unit-weighted mean UnitMem over every scored unit not in `removed`. */
export function meanKeptUnitMem(scores: UnitMemResult, removed: Record<string, number[]>): number {
  let sum = 0;
  let count = 0;
  for (const layer of scores.layers) {
    const cut = new Set(removed[layer.name] ?? []);
    layer.unitmem.forEach((u, k) => {
      if (!cut.has(k)) {
        sum += u;
        count++;
      }
    });
  }
  return count ? sum / count : 0;
}

function checkPlan(p: Pick<SweepPlan, 'strategies' | 'grid' | 'seeds'>): void {
  const bad = p.strategies.filter((s) => !STRATEGY_NAMES.includes(s));
  if (bad.length || p.strategies.length === 0) {
    throw new MemLensError('BAD_INPUT', `strategies must be some of ${STRATEGY_NAMES.join(', ')}; got ${p.strategies.join(', ') || 'none'}`);
  }
  for (const c of p.grid) {
    if (c.scope !== 'layer' && c.scope !== 'global') throw new MemLensError('BAD_INPUT', `unknown scope '${c.scope}' (layer, global)`);
    if (!(c.ratio > 0 && c.ratio < 1)) throw new MemLensError('BAD_INPUT', `pruning ratios must be in (0, 1), got ${c.ratio}`);
  }
  if (p.grid.length === 0) throw new MemLensError('BAD_INPUT', 'compare needs at least one pruning ratio');
  if (p.seeds.length === 0 || p.seeds.some((s) => !Number.isInteger(s))) {
    throw new MemLensError('BAD_INPUT', `seeds must be integers, got ${p.seeds.join(', ') || 'none'}`);
  }
}

/** The runs of the sweep, in table order: strategies within cells, seeds within random. */
function runs(p: SweepPlan): { strategy: PruneStrategy; cell: GridCell; seed: number }[] {
  return p.grid.flatMap((cell) =>
    p.strategies.flatMap((strategy) => (strategyInfo(strategy).ranks.by === 'random' ? p.seeds : p.seeds.slice(0, 1)).map((seed) => ({ strategy, cell, seed }))),
  );
}

/** Probe, LayerMem and latency of one model (the unpruned one or a pruned export). */
async function measurePoint(model: OnnxModel, p: SweepPlan, signal?: AbortSignal) {
  const score = await probeModel(model, p.data, p.probe, { signal });
  const layerMem = p.layerMem ? { layerMem: await p.layerMem.measure(model, { signal }) } : {};
  return { accuracy: score.accuracy, ...layerMem, latencyMs: await measureLatency(model, p.data.embed.size) };
}

export async function runSweep(p: SweepPlan, ctl: JobControl = {}): Promise<ComparePoint[]> {
  checkPlan(p);
  const todo = runs(p);
  const total = todo.length + 1;
  ctl.onProgress?.(0, total, 'compare');
  const cost = modelCost(p.model.proto);
  const base = await measurePoint(p.model, p, ctl.signal);
  const points: ComparePoint[] = [
    {
      strategy: 'none', scope: 'layer', ratio: 0, seed: p.seeds[0],
      ...base, meanUnitMem: meanKeptUnitMem(p.scores, {}), params: cost.params, flops: cost.flops,
    },
  ];
  ctl.onProgress?.(1, total, 'compare');
  for (const [i, r] of todo.entries()) {
    throwIfAborted(ctl.signal);
    const out = join(p.modelsDir, `${r.strategy}-${r.cell.scope}-${r.cell.ratio}-seed${r.seed}.onnx`);
    const pruned = await pruneModel(
      // LayerMem compares embeddings of one dimension: the channels that reach the output are masked.
      { model: p.model.path, scores: p.scores, strategy: r.strategy, ratio: r.cell.ratio, scope: r.cell.scope, mode: 'structural', seed: r.seed, keepOutput: true, out },
      { signal: ctl.signal },
    );
    const m = await measurePoint(await loadModel(out), p, ctl.signal);
    points.push({
      strategy: r.strategy, scope: r.cell.scope, ratio: r.cell.ratio, seed: r.seed,
      ...m, meanUnitMem: meanKeptUnitMem(p.scores, pruned.removed), params: pruned.params.after, flops: pruned.flops.after,
    });
    ctl.onProgress?.(i + 2, total, 'compare');
  }
  return points;
}

export interface CompareOptions extends CompareRequest {
  /** kNN neighbours (probe knn). */
  k?: number;
  /** Explicit (scope, ratio) cells instead of scopes x ratios (the demo's paper grid). */
  grid?: GridCell[];
}

export async function compare(req: CompareOptions, ctl: JobControl = {}): Promise<CompareResult> {
  const grid = req.grid ?? (req.scopes ?? ['layer']).flatMap((scope) => req.ratios.map((ratio) => ({ scope, ratio })));
  const seeds = req.seeds ?? DEFAULT_SEEDS;
  const strategies = req.strategies;
  checkPlan({ strategies, grid, seeds });
  const model = await loadModel(req.model);
  const data = await openProbeData(req);
  const probe = probeSettings(req);
  const dataOptions = { mean: data.embed.mean, std: data.embed.std, size: req.size, batch: req.batch, seed: req.seed };
  // The reference's side is measured once here (after checking its embedding matches the model's);
  // each point measures only its own encoder.
  const layerMem = req.reference
    ? await outputLayerMem({ model: req.model, reference: req.reference, data: req.data, views: req.views, ...dataOptions }, ctl)
    : undefined;
  const scores = await computeUnitMem({ model: req.model, data: req.data, views: req.views, ...dataOptions }, ctl);
  const out = req.out ? resolve(req.out) : await mkdtemp(join(tmpdir(), 'memlens-compare-'));
  const modelsDir = join(out, 'models');
  await mkdir(modelsDir, { recursive: true });
  try {
    const points = await runSweep({ model, scores, data, probe, strategies, grid, seeds, modelsDir, layerMem }, ctl);
    const result: CompareResult = {
      schema: 'memlens.compare/1',
      model: { path: model.path, sha256: model.sha256 },
      settings: {
        ...data.settings, ...probe, data: resolve(req.data), strategies, grid, seeds, classes: data.classes,
        unitmem: scores.settings, ...(layerMem ? { layermem: layerMem.settings } : {}), mode: 'structural', latency: 'ms per image, batch 1, median of timed runs',
      },
      points,
    };
    if (req.out) {
      const files = { json: join(out, 'compare.json'), csv: join(out, 'compare.csv'), html: join(out, 'report.html') };
      result.files = files;
      await writeFileAtomic(files.csv, compareCsv(result));
      await writeFileAtomic(files.html, compareReport(result));
      await writeFileAtomic(files.json, JSON.stringify(result, null, 2) + '\n');
    }
    return result;
  } finally {
    if (!req.out) await rm(out, { recursive: true, force: true });
  }
}
