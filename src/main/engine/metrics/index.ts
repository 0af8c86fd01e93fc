/**
 * The memorization metrics (docs/METRICS.md): engine entry points for every host, and the streaming
 * accumulators behind them.
 *
 * Entry points (request/result types in src/shared/api.ts; `ctl` carries an AbortSignal, checked
 * between batches, and onProgress(done, total, stage) in samples). Results are cached by model
 * sha256 + settings + data file identity (project/cache.ts; MEMLENS_NO_CACHE=1 turns it off).
 * - `computeUnitMem(req: UnitMemRequest, ctl?): Promise<UnitMemResult>` — every prunable layer (or
 *   req.layers); views default 10 (1 with augment 'none' on plain images); rest 'mean' | 'median';
 *   top (default 5) highest-mu samples per unit, from the same per-sample means.
 * - `computeClassMem(req: ClassMemRequest, ctl?): Promise<ClassMemResult>` — un-augmented, labelled data.
 * - `computeLayerMem(req: LayerMemRequest, ctl?): Promise<LayerMemResult>` — every row (conv/linear,
 *   residual adds, ViT sublayer outputs, pools) of f and g on the same seeded views; views default 5;
 *   pairing 'views' | 'anchor'; norm 'paper' | 'range'. Distance: L2 between L2-normalized flattened
 *   layer outputs (layermem.ts).
 * - `outputLayerMem(req: LayerMemRequest, ctl?): Promise<OutputLayerMem>` — measures g's last row (the
 *   embedding) once and returns { settings, measure(f: OnnxModel, ctl?): Promise<{ layermem, sslmem }> }: LayerMem of f's last row and SSLMem per point
 *   on the same views. Only the last rows must match (op, kind, width), so f may be a pruned f.
 * Settings default to the request, else project.memlens.json beside the model, else mean/std 0.5,
 * SimCLR views, seed 0, batch 256 images.
 * Errors (MemLensError, one line): BAD_DATA (too few samples, no labels, unreadable data), BAD_MODEL
 * (model cannot take the images), BAD_INPUT (options), MISMATCH (reference of another architecture,
 * or of another embedding for outputLayerMem),
 * CANCELLED.
 *
 * Scale (docs/SCALE.md): every entry point takes a RunScope — `shard` (one slice of the candidates;
 * the *Shard functions return a part), `checkpoint` (state written atomically after batches,
 * continued with resume) and `spill` (where the median rest's per-sample means go). `mergeParts`
 * folds the parts of every shard into the document one run writes. The default batch comes from a
 * memory budget (memory.ts).
 *
 * Building blocks: `UnitStats` (streaming per-unit max, argmax, sum, top-k), `viewMeans`,
 * `MeanSpill`/`spilledMedians`, `ClassMeanAccumulator`, `viewDistances`, `sslMem`, `layerMemRows`,
 * `contrast`; CSV tables `unitMemCsv`, `classMemCsv`, `layerMemCsv`.
 */
export { computeUnitMem, computeUnitMemShard } from './unitmem-job.js';
export { computeClassMem, computeClassMemShard } from './classmem-job.js';
export { computeLayerMem, computeLayerMemShard, outputLayerMem, type OutputLayerMem } from './layermem-job.js';
export { mergeParts } from './merge.js';
export { parseShard, shardRange, type Checkpoint, type PartDoc, type RunScope, type Shard } from './part.js';
export { UnitStats, viewMeans, type UnitMemScores } from './unitmem.js';
export { MeanSpill, spilledMedians } from './spill.js';
export { ClassMeanAccumulator, type ClassMemScores } from './classmem.js';
export { layerMemRows, sslMem, viewDistances, type LayerMemNorm, type Pairing } from './layermem.js';
export { contrast } from './contrast.js';
export { classMemCsv, layerMemCsv, unitMemCsv } from './csv.js';
