/**
 * Evaluation: embeddings, probes and accuracy-versus-memorization sweeps (issue 6).
 *
 * Entry points (request/result types in src/shared/api.ts; `ctl` = { signal, onProgress }):
 * - `evaluate(req: EvaluateOptions, ctl?): Promise<EvaluateResult>` — memlens.evaluate/1. Linear probe
 *   (default) or weighted kNN on the encoder output of every train/test image. Extra options:
 *   temperature (kNN, 0.07), weightDecay (linear, 1e-4), exportFeatures (folder for .npy files).
 * - `compare(req: CompareOptions, ctl?): Promise<CompareResult>` — memlens.compare/1: UnitMem on
 *   req.data, then per strategy x (scope, ratio) x seed a structural prune into out/models, probe
 *   accuracy, mean UnitMem of the kept units, with req.reference LayerMem of the embedding against it
 *   (metrics' outputLayerMem: g measured once per sweep), params, FLOPs, latency (ms/image, batch 1). With `out`
 *   also writes compare.json, compare.csv, report.html. `grid` overrides scopes x ratios.
 * - `openSavedSweep(path): Promise<CompareResult>` — a compare.json written by `compare` with `out` (or
 *   its folder) read back and checked, for the Compare screen.
 * - `runPaperExperiment(projectPath, { seeds?, out?, limit? }, ctl?)` and `paperTable(result)` —
 *   the table of docs/METRICS.md "Pruning and fine-tuning" (none / high / random / low x per layer 10%, 20%, global 10%).
 * Errors (MemLensError, one line): BAD_DATA (no labels, one class), MISMATCH (test classes absent from
 * training), BAD_MODEL (output not one vector per image), BAD_INPUT (strategies, ratios, seeds, k),
 * MISMATCH (reference whose embedding differs from the model's).
 *
 * Building blocks: `embedSources(model, sources, settings, ctl?)` (cached by model sha256 + data),
 * `trainLinearProbe` / `probePredict` / `probeProbabilities`, `knnPredict`, `lbfgs`, `runProbe`,
 * `summarize(points)` (mean/std over seeds), `compareCsv`, `compareReport` (HTML), `svgChart`.
 */
export { evaluate, openProbeData, probeModel, type EvaluateOptions, type ProbeData } from './evaluate.js';
export { compare, runSweep, meanKeptUnitMem, DEFAULT_SEEDS, type CompareOptions, type GridCell, type SweepPlan } from './sweep.js';
export { PAPER_GRID, paperTable, runPaperExperiment, type PaperOptions } from './paper.js';
export { embedSources, type EmbedSettings } from './embeddings.js';
export { trainLinearProbe, probePredict, probeProbabilities, DEFAULT_WEIGHT_DECAY, type LinearProbe, type LinearProbeOptions } from './linear-probe.js';
export { knnPredict, DEFAULT_K, DEFAULT_TEMPERATURE, type KnnOptions } from './knn.js';
export { lbfgs, type LbfgsOptions, type LbfgsResult, type Objective } from './lbfgs.js';
export { runProbe, probeSettings, type ProbeScore, type ProbeSettings } from './probe.js';
export { summarize, type SummaryRow } from './summary.js';
export { compareCsv } from './csv.js';
export { compareReport } from './report.js';
export { openSavedSweep, COMPARE_SCHEMA } from './saved-sweep.js';
export type { Features, Labelled } from './features.js';
