/**
 * Evaluation: embeddings, probes and accuracy-versus-memorization sweeps (issue 6).
 *
 * Entry points (request/result types in src/shared/api.ts; `ctl` = { signal, onProgress }):
 * - `evaluate(req: EvaluateOptions, ctl?): Promise<EvaluateResult>` — memlens.evaluate/1. Linear probe
 *   (default) or weighted kNN on the encoder output of every train/test image. Extra options:
 *   temperature (kNN, 0.07), weightDecay (linear, 1e-4), exportFeatures (folder for .npy files).
 * - `compare(req: CompareOptions, ctl?): Promise<CompareResult>` — memlens.compare/2 (docs/compare.md):
 *   UnitMem on req.data, then per strategy x (scope, ratio) x seed a structural prune into out/models,
 *   probe accuracy, UnitMem re-measured on the pruned encoder, with req.reference and req.control the
 *   SSLMem of candidates and control at the embedding (g measured once per sweep), params, FLOPs,
 *   latency (ms/image, batch 1); runs pooled per cell with bootstrap intervals, each strategy tested
 *   against random. With `out` also writes compare.json, compare.csv, report.html. `grid` overrides
 *   scopes x ratios. Defaults: src/shared/compare-defaults.ts.
 * - `openSavedSweep(path): Promise<CompareResult>` — a compare.json written by `compare` with `out` (or
 *   its folder) read back and checked, for the Compare screen; version 1 files open upgraded.
 * - `listSweeps(project)`: the sweeps compare kept with `project` (in .memlens-sweeps beside the
 *   project file), newest first, for reopening.
 * - `runPaperExperiment(projectPath, { seeds?, views?, out?, limit? }, ctl?)` and `paperTable(result)` —
 *   the docs/METRICS.md "Pruning and fine-tuning" table (none / high / random / low x per layer 10%, 20%, global 10%) with
 *   intervals, and per paper claim holds / reversed / not significant.
 * Errors (MemLensError, one line): BAD_DATA (no labels, one class), MISMATCH (test classes absent from
 * training), BAD_MODEL (output not one vector per image), BAD_INPUT (strategies, ratios, seeds, k),
 * MISMATCH (reference whose embedding differs from the model's), BAD_INPUT (reference without a control set).
 *
 * Building blocks: `embedSources(model, sources, settings, ctl?)` (cached by model sha256 + data),
 * `trainLinearProbe` / `probePredict` / `probeProbabilities`, `knnPredict`, `lbfgs`, `runProbe`,
 * `bootstrap` / `verdict` (stats.ts), `comparePoints` / `compareTests` (aggregate.ts), `compareReport` (HTML), `svgChart`.
 */
export { evaluate, openProbeData, probeModel, type EvaluateOptions, type ProbeData } from './evaluate.js';
export { compare, runSweep, COMPARE_SCHEMA, type CompareOptions, type GridCell, type SweepPlan } from './sweep.js';
export { comparePoints, compareTests, type Run } from './aggregate.js';
export { bootstrap, verdict, BOOTSTRAP, type Estimate } from './stats.js';
export { PAPER_GRID, paperTable, runPaperExperiment, type PaperOptions } from './paper.js';
export { embedSources, type EmbedSettings } from './embeddings.js';
export {
  trainLinearProbe,
  probePredict,
  probeProbabilities,
  DEFAULT_WEIGHT_DECAY,
  type LinearProbe,
  type LinearProbeOptions,
} from './linear-probe.js';
export { knnPredict, DEFAULT_K, DEFAULT_TEMPERATURE, type KnnOptions } from './knn.js';
export { lbfgs, type LbfgsOptions, type LbfgsResult, type Objective } from './lbfgs.js';
export { runProbe, probeSettings, type ProbeScore, type ProbeSettings } from './probe.js';
export { compareReport } from './report.js';
export { openSavedSweep } from './saved-sweep.js';
export { listSweeps, newSweepFolder, sweepsFolder } from './sweep-store.js';
export type { Features, Labelled } from './features.js';
