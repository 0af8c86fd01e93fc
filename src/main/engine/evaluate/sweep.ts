// compare: the accuracy-versus-memorization sweep behind `memlens compare`, the demo and the app's
// comparison screen (docs/compare.md). For every strategy x (scope, ratio) x seed: structural prune
// (prune/), probe accuracy of the pruned encoder, memorization measured on it (memorization.ts:
// re-measured UnitMem; with a reference and a control set, SSLMem of both at the embedding),
// params, FLOPs and measured latency. Each fine-tuned encoder given (finetune/runs.ts) is measured
// the same way as a point of its own. Runs pool into points with bootstrap intervals, and each
// strategy is tested against random (aggregate.ts). Outputs compare.json, compare.csv and report.html.
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { CompareRequest, CompareResult, JobControl, PruneStrategy, UnitMemResult } from '../../../shared/api.js';
import { COMPARE_DEFAULTS } from '../../../shared/compare-defaults.js';
import { FINETUNED, STRATEGY_NAMES, strategyInfo } from '../../../shared/strategies.js';
import { MemLensError, throwIfAborted } from '../errors.js';
import { removeOrphans, tempBeside, writeDocumentLast, writeFileAtomic } from '../files.js';
import { dataSettings } from '../metrics/settings.js';
import { openFinetuned, type FinetunedEncoder } from '../finetune/runs.js';
import { loadModel, type OnnxModel } from '../onnx/index.js';
import { pruneModel } from '../prune/export.js';
import { modelCost } from '../prune/cost.js';
import { comparePoints, compareTests, type Run } from './aggregate.js';
import { compareCsv } from '../../../shared/compare-csv.js';
import { openProbeData, probeModel, type ProbeData } from './evaluate.js';
import { measureLatency } from './latency.js';
import { measureMemorization, memorizationPlan, type MemorizationPlan } from './memorization.js';
import { probeSettings, type ProbeSettings } from './probe.js';
import { compareReport } from './report.js';
import { BOOTSTRAP } from './stats.js';
import { newSweepFolder } from './sweep-store.js';

export const COMPARE_SCHEMA = 'memlens.compare/2';

/** One cell of the sweep grid; the demo uses a grid that is not a full scopes x ratios product. */
export interface GridCell {
  scope: 'layer' | 'global';
  ratio: number;
}

export interface SweepPlan {
  model: OnnxModel;
  /** UnitMem of the unpruned model: what the strategies rank units by. */
  scores: UnitMemResult;
  data: ProbeData;
  probe: ProbeSettings;
  memorization: MemorizationPlan;
  strategies: PruneStrategy[];
  grid: GridCell[];
  /** Seeds for the random strategy; the deterministic strategies run once, with the first. */
  seeds: number[];
  /** Folder for the pruned models. */
  modelsDir: string;
  /** Fine-tuned encoders of `model`: a point each, measured after the unpruned model. */
  finetuned?: FinetunedEncoder[];
}

function checkPlan(p: Pick<SweepPlan, 'strategies' | 'grid' | 'seeds'>): void {
  const bad = p.strategies.filter((s) => !STRATEGY_NAMES.includes(s));
  if (bad.length || p.strategies.length === 0) {
    throw new MemLensError(
      'BAD_INPUT',
      `strategies must be some of ${STRATEGY_NAMES.join(', ')}; got ${p.strategies.join(', ') || 'none'}`,
    );
  }
  for (const c of p.grid) {
    if (c.scope !== 'layer' && c.scope !== 'global')
      throw new MemLensError('BAD_INPUT', `unknown scope '${c.scope}' (layer, global)`);
    if (!(c.ratio > 0 && c.ratio < 1))
      throw new MemLensError('BAD_INPUT', `pruning ratios must be in (0, 1), got ${c.ratio}`);
  }
  if (p.grid.length === 0) throw new MemLensError('BAD_INPUT', 'compare needs at least one pruning ratio');
  if (p.seeds.length === 0 || p.seeds.some((s) => !Number.isInteger(s))) {
    throw new MemLensError('BAD_INPUT', `seeds must be integers, got ${p.seeds.join(', ') || 'none'}`);
  }
}

/** The runs of the sweep, in table order: strategies within cells, seeds within random. */
function runs(p: SweepPlan): { strategy: PruneStrategy; cell: GridCell; seed: number }[] {
  return p.grid.flatMap((cell) =>
    p.strategies.flatMap((strategy) =>
      (strategyInfo(strategy).ranks.by === 'random' ? p.seeds : p.seeds.slice(0, 1)).map((seed) => ({
        strategy,
        cell,
        seed,
      })),
    ),
  );
}

/** Probe, memorization and latency of one encoder (the unpruned one, with its scores, or a pruned export). */
async function measureRun(model: OnnxModel, p: SweepPlan, scores: UnitMemResult | undefined, signal?: AbortSignal) {
  const score = await probeModel(model, p.data, p.probe, { signal });
  const memorization = await measureMemorization(p.memorization, model, scores, { signal });
  return { correct: score.correct, memorization, latencyMs: await measureLatency(model, p.data.embed.size) };
}

/** Every run of the sweep, the unpruned model's first, then the fine-tuned encoders'. */
export async function runSweep(p: SweepPlan, ctl: JobControl = {}): Promise<Run[]> {
  checkPlan(p);
  const todo = runs(p);
  const finetuned = p.finetuned ?? [];
  const total = todo.length + 1 + finetuned.length;
  ctl.onProgress?.(0, total, 'compare');
  // An encoder measured whole (ratio 0): the unpruned model, with its scores, or a fine-tuned one.
  const whole = async (model: OnnxModel, extra: Pick<Run, 'strategy' | 'finetuned'>, scores?: UnitMemResult) => {
    const { params, flops } = modelCost(model.proto);
    const m = await measureRun(model, p, scores, ctl.signal);
    return { ...extra, scope: 'layer', ratio: 0, seed: p.seeds[0], ...m, params, flops } satisfies Run;
  };
  const out: Run[] = [await whole(p.model, { strategy: 'none' }, p.scores)];
  ctl.onProgress?.(1, total, 'compare');
  for (const f of finetuned) {
    throwIfAborted(ctl.signal);
    const ref = { path: f.model.path, sha256: f.model.sha256, layers: f.layers };
    out.push(await whole(f.model, { strategy: FINETUNED, finetuned: ref }));
    ctl.onProgress?.(out.length, total, 'compare');
  }
  for (const [i, r] of todo.entries()) {
    throwIfAborted(ctl.signal);
    const file = join(p.modelsDir, `${r.strategy}-${r.cell.scope}-${r.cell.ratio}-seed${r.seed}.onnx`);
    const pruned = await pruneModel(
      // LayerMem compares embeddings of one dimension: the channels that reach the output are masked.
      {
        model: p.model.path,
        scores: p.scores,
        strategy: r.strategy,
        ratio: r.cell.ratio,
        scope: r.cell.scope,
        mode: 'structural',
        seed: r.seed,
        keepOutput: true,
        out: file,
      },
      { signal: ctl.signal },
    );
    const m = await measureRun(await loadModel(file), p, undefined, ctl.signal);
    out.push({
      strategy: r.strategy,
      scope: r.cell.scope,
      ratio: r.cell.ratio,
      seed: r.seed,
      ...m,
      params: pruned.params.after,
      flops: pruned.flops.after,
    });
    ctl.onProgress?.(i + 2 + finetuned.length, total, 'compare');
  }
  return out;
}

export interface CompareOptions extends CompareRequest {
  /** kNN neighbours (probe knn). */
  k?: number;
  /** Explicit (scope, ratio) cells instead of scopes x ratios (the demo's paper grid). */
  grid?: GridCell[];
}

export async function compare(req: CompareOptions, ctl: JobControl = {}): Promise<CompareResult> {
  const grid =
    req.grid ??
    (req.scopes ?? [COMPARE_DEFAULTS.scope]).flatMap((scope) => req.ratios.map((ratio) => ({ scope, ratio })));
  const seeds = req.seeds ?? [...COMPARE_DEFAULTS.seeds];
  const views = req.views ?? COMPARE_DEFAULTS.views;
  const strategies = req.strategies;
  checkPlan({ strategies, grid, seeds });
  const ds = await dataSettings(req);
  const model = await loadModel(req.model);
  // Before any measuring: a file that is not a fine-tuned copy of the model fails at once.
  const finetuned: FinetunedEncoder[] = [];
  for (const f of req.finetuned ?? []) {
    const opened = await openFinetuned(f, model);
    // A run given twice (its .finetune.json and its ONNX) is one encoder: one point.
    if (!finetuned.some((o) => o.model.path === opened.model.path)) finetuned.push(opened);
  }
  // Refuses a reference without a control set before measuring.
  const memorization = await memorizationPlan({ ...req, views }, ds, ctl);
  const data = await openProbeData(req);
  const probe = probeSettings({ ...req, probe: req.probe ?? COMPARE_DEFAULTS.probe });
  const scores = await memorization.unitmem(req.model, ctl);
  // Kept: `out`, or a new folder of the project's sweeps (the app); else a temp folder, removed after.
  const keep = req.out ? resolve(req.out) : req.project ? await newSweepFolder(req.project) : undefined;
  const out = keep ?? (await mkdtemp(join(tmpdir(), 'memlens-compare-')));
  // The models are staged in a fresh folder and replace the old ones only when compare.json is
  // written next (docs/SECURITY.md, "Outputs as one unit"); a killed sweep's staging is removed here.
  const models = join(out, 'models');
  await mkdir(out, { recursive: true });
  await removeOrphans(out, basename(models));
  const modelsDir = tempBeside(models);
  await mkdir(modelsDir);
  try {
    const all = await runSweep(
      { model, scores, data, probe, memorization, strategies, grid, seeds, modelsDir, finetuned },
      ctl,
    );
    const result: CompareResult = {
      schema: COMPARE_SCHEMA,
      model: { path: model.path, sha256: model.sha256 },
      settings: {
        ...data.settings,
        ...probe,
        data: ds.data,
        views,
        strategies,
        grid,
        seeds,
        finetuned: finetuned.map((f) => f.model.path),
        classes: data.classes,
        unitmem: scores.settings,
        ...memorization.settings,
        mode: 'structural',
        latency: 'ms per image, batch 1, median of timed runs',
        bootstrap: {
          ...BOOTSTRAP,
          interval: 'percentile 95%, test images (accuracy) or points (SSLMem) and random seeds resampled',
        },
      },
      points: comparePoints(all),
      tests: compareTests(all),
    };
    if (keep) {
      const files = { json: join(out, 'compare.json'), csv: join(out, 'compare.csv'), html: join(out, 'report.html') };
      result.files = files;
      await writeDocumentLast(files.json, async () => {
        await rm(models, { recursive: true, force: true });
        await rename(modelsDir, models);
        await writeFileAtomic(files.csv, compareCsv(result));
        await writeFileAtomic(files.html, compareReport(result));
        return JSON.stringify(result, null, 2) + '\n';
      });
    }
    return result;
  } finally {
    await rm(keep ? modelsDir : out, { recursive: true, force: true });
  }
}
