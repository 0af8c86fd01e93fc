// `prune`: the whole path from a request to an exported model. Validates everything before writing
// (ratio, strategy, layer names, scores made for this very model, output path), then selects, plans,
// edits, stamps provenance into metadata_props and writes the model and its result document
// atomically. Without `out` it is a preview: the same figures, nothing written.
import { readFile } from 'node:fs/promises';
import type {
  JobControl,
  LayerKind,
  PruneLayerReport,
  PruneRequest,
  PruneResult,
  UnitMemResult,
} from '../../../shared/api.js';
import { PRUNE_CHOICES, PRUNE_DEFAULTS } from '../../../shared/prune-options.js';
import { STRATEGY_NAMES, strategyInfo } from '../../../shared/strategies.js';
import { MemLensError, throwIfAborted } from '../errors.js';
import { assertNotSamePath, requireFile, sha256Bytes, writeDocumentLast } from '../files.js';
import {
  encodeModelChunks,
  indexModel,
  loadModel,
  saveModel,
  setMetadata,
  SOURCE_SHA256_KEY,
  warmRuntime,
  type GraphIndex,
} from '../onnx/index.js';
import { applyPlan, planPrune, type PrunePlan } from './apply.js';
import { modelCost } from './cost.js';
import { buildGroups } from './groups.js';
import { findLayers, paramTensor, type LayerNode } from './layers.js';
import { checkRatio, layersInScope, normPerUnit, perLayerCount, selectUnits, type ScoredLayer } from './select.js';
import { rankCoupledTogether } from './coupling.js';
import { weightValues } from './weights.js';

const EXTRA_ROWS: LayerKind[] = ['residual-add', 'sublayer-output', 'pool'];

export async function pruneModel(req: PruneRequest, ctl: JobControl = {}): Promise<PruneResult> {
  checkRequest(req);
  const stage = (n: number, name: string) => {
    throwIfAborted(ctl.signal);
    ctl.onProgress?.(n, 3, name);
  };
  const mode = req.mode ?? PRUNE_DEFAULTS.mode;
  const seed = req.seed ?? PRUNE_DEFAULTS.seed;
  const align = req.align ?? PRUNE_DEFAULTS.align;
  const coupling = req.coupling ?? PRUNE_DEFAULTS.coupling;
  const attention = req.attention ?? PRUNE_DEFAULTS.attention;
  const keepOutput = req.keepOutput ?? false;
  const embeddingWidth = req.embeddingWidth ?? false;
  if (req.out) {
    assertNotSamePath(req.model, req.out);
    assertNotSamePath(req.model, resultPath(req.out));
    warmRuntime(); // for saveModel's check, while the model is loaded and pruned
  }
  stage(0, 'load');
  const model = await loadModel(req.model);
  const scores = req.scores === undefined ? undefined : await readScores(req.scores);
  if (scores && scores.doc.model.sha256 !== model.sha256) {
    throw new MemLensError(
      'MISMATCH',
      `scores ${scores.source} were computed for model sha256 ${scores.doc.model.sha256.slice(0, 12)}…, not ${req.model} (sha256 ${model.sha256.slice(0, 12)}…)`,
    );
  }
  stage(1, 'plan');
  const index = indexModel(model.proto);
  const layers = findLayers(model, index);
  const groups = buildGroups(index, layers, attention, embeddingWidth);
  const inScope = layersInScope(
    scoredLayers(index, layers, normOrder(req.strategy), scores?.doc),
    req.include,
    req.exclude,
  );
  const coupled = coupling === 'group' ? rankCoupledTogether(inScope, groups) : undefined;
  const chosen = selectUnits(coupled?.layers ?? inScope, { ...req, include: undefined, exclude: undefined, seed });
  const selection = coupled ? coupled.expand(chosen) : chosen;
  const plan = planPrune(groups, layers, selection, { mode, keepOutput, align });
  const removed = Object.fromEntries(selection);
  const settings = {
    strategy: req.strategy,
    scope: req.scope,
    ratio: req.ratio,
    mode,
    seed,
    align,
    coupling,
    attention,
    embeddingWidth,
    keepOutput,
    include: req.include ?? [],
    exclude: req.exclude ?? [],
    scores: scores ? { source: scores.source, sha256: scores.sha256, settings: scores.doc.settings } : null,
  };
  const provenance: Record<string, string> = {
    [SOURCE_SHA256_KEY]: model.sha256,
    'memlens.prune.strategy': req.strategy,
    'memlens.prune.scope': req.scope,
    'memlens.prune.ratio': String(req.ratio),
    'memlens.prune.mode': mode,
    'memlens.prune.seed': String(seed),
    'memlens.prune.align': String(align),
    'memlens.prune.coupling': coupling,
    'memlens.prune.attention': attention,
    'memlens.prune.embedding_width': String(embeddingWidth),
    'memlens.prune.keep_output': String(keepOutput),
    'memlens.unitmem.settings': JSON.stringify(scores?.doc.settings ?? null),
    'memlens.unitmem.sha256': scores?.sha256 ?? '',
    'memlens.prune.removed': JSON.stringify(removed),
    'memlens.version': __MEMLENS_VERSION__,
  };
  const pruned = setMetadata(applyPlan(model.proto, index, plan), provenance);
  const before = modelCost(model.proto, index);
  const after = modelCost(pruned);
  const perLayer = layerReport(inScope, layers, plan, selection);
  const result: PruneResult = {
    schema: 'memlens.prune/1',
    model: { path: model.path, sha256: model.sha256 },
    settings,
    removed,
    layers: perLayer,
    params: { before: before.params, after: after.params },
    flops: { before: before.flops, after: after.flops },
    bytes: { before: model.bytes, after: 0 },
    groups: plan.report,
    outputs: plan.outputs,
    notes: [...outcomeNotes(mode, perLayer), ...roundingNotes(coupled?.layers ?? [], req), ...plan.notes],
    provenance,
  };
  stage(2, 'write');
  if (req.out) {
    const out = req.out;
    // The document is the commit point: a killed run never leaves the old one beside the new model.
    await writeDocumentLast(resultPath(out), async () => {
      result.bytes.after = (await saveModel(pruned, out, { source: model })).bytes;
      result.out = out;
      return JSON.stringify(result, null, 2) + '\n';
    });
  } else {
    result.bytes.after = encodeModelChunks(pruned).reduce((n, c) => n + c.length, 0);
  }
  ctl.onProgress?.(3, 3, 'write');
  return result;
}

/** Selected, cut and masked units of every ranked layer (and of any other layer that lost units). */
function layerReport(
  inScope: ScoredLayer[],
  layers: LayerNode[],
  plan: PrunePlan,
  selection: Map<string, number[]>,
): PruneLayerReport[] {
  const cut = new Map<string, number>();
  for (const { group, channels } of plan.cuts) {
    for (const m of [...group.sources, ...group.followers])
      cut.set(m.layer.name, (cut.get(m.layer.name) ?? 0) + channels.length * m.map.block);
  }
  const masked = new Map(plan.masks.map((m) => [m.layer.name, m.units.length]));
  const units = new Map(layers.map((l) => [l.name, l.units]));
  const names = [...new Set([...inScope.map((l) => l.name), ...layers.map((l) => l.name).filter((n) => cut.has(n))])];
  return names.map((name) => ({
    name,
    units: units.get(name)!,
    selected: selection.get(name)?.length ?? 0,
    cut: cut.get(name) ?? 0,
    masked: masked.get(name) ?? 0,
  }));
}

/** What a user must not miss: structural mode asked for a smaller model and none came out. */
function outcomeNotes(mode: string, layers: PruneLayerReport[]): string[] {
  const selected = layers.reduce((n, l) => n + l.selected, 0);
  const cut = layers.reduce((n, l) => n + l.cut, 0);
  if (mode !== 'structural' || selected === 0 || cut > 0) return [];
  return [
    `structural pruning cut nothing: all ${selected} selected units were masked (zeroed), so the model keeps its size; the groups say why`,
  ];
}

/** Where scope `layer` rounded a share of whole structures (attention heads) to the nearest. */
function roundingNotes(ranked: ScoredLayer[], req: PruneRequest): string[] {
  if (req.scope !== 'layer') return [];
  return ranked.flatMap((l) => {
    const share = req.ratio * l.units;
    const n = perLayerCount(l, req.ratio);
    if (!l.whole || share === n) return [];
    return [
      `${l.name}: ${req.ratio} of ${l.units} ${l.whole} is ${+share.toFixed(3)}, rounded to ${n} (whole ${l.whole} only)`,
    ];
  });
}

/** The p of the weight norm a strategy ranks by, if it ranks by one. */
function normOrder(strategy: PruneRequest['strategy']): number | undefined {
  const ranks = strategyInfo(strategy).ranks;
  return ranks.by === 'weight-norm' ? ranks.p : undefined;
}

/** P.onnx -> P.prune.json, next to the exported model. */
export function resultPath(out: string): string {
  return out.replace(/(\.onnx)?$/i, '.prune.json');
}

function checkRequest(req: PruneRequest): void {
  if (!STRATEGY_NAMES.includes(req.strategy)) {
    throw new MemLensError('BAD_INPUT', `unknown strategy '${req.strategy}' (${STRATEGY_NAMES.join(', ')})`);
  }
  for (const [field, choices] of Object.entries(PRUNE_CHOICES)) {
    const value = req[field as keyof typeof PRUNE_CHOICES];
    // scope has no default; the others may be left out.
    if ((value !== undefined || field === 'scope') && !(choices as readonly unknown[]).includes(value)) {
      throw new MemLensError('BAD_INPUT', `unknown ${field} '${value}' (${choices.join(', ')})`);
    }
  }
  checkRatio(req.ratio);
  if (req.align !== undefined && !(Number.isInteger(req.align) && req.align >= 1)) {
    throw new MemLensError('BAD_INPUT', `align ${req.align} must be a positive integer`);
  }
  if (req.scores === undefined && strategyInfo(req.strategy).needsScores) {
    throw new MemLensError('BAD_INPUT', `strategy ${req.strategy} needs UnitMem scores (--scores F)`);
  }
}

interface Scores {
  doc: UnitMemResult;
  source: string;
  /** Hash of the result document, recorded as provenance. */
  sha256: string;
}

async function readScores(scores: string | UnitMemResult): Promise<Scores> {
  if (typeof scores !== 'string')
    return {
      doc: checkScores(scores, 'scores'),
      source: '(document)',
      sha256: sha256Bytes(Buffer.from(JSON.stringify(scores))),
    };
  await requireFile(scores, 'scores');
  const bytes = await readFile(scores);
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new MemLensError('BAD_INPUT', `scores ${scores}: not JSON (${(e as Error).message})`);
  }
  return { doc: checkScores(doc, scores), source: scores, sha256: sha256Bytes(bytes) };
}

function checkScores(doc: unknown, source: string): UnitMemResult {
  const d = doc as Partial<UnitMemResult> | null;
  if (d?.schema !== 'memlens.unitmem/1' || typeof d.model?.sha256 !== 'string' || !Array.isArray(d.layers)) {
    throw new MemLensError('BAD_INPUT', `scores ${source}: not a memlens.unitmem/1 document`);
  }
  return d as UnitMemResult;
}

/**
 * The layers selection ranks: those the scores document measured (so every strategy of a comparison
 * prunes the same layers), else every prunable layer. Each carries UnitMem and, when the strategy
 * ranks by them, its weights' Lp norms (p = `normP`).
 */
function scoredLayers(
  index: GraphIndex,
  layers: LayerNode[],
  normP: number | undefined,
  doc?: UnitMemResult,
): ScoredLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const norm = (l: LayerNode) => {
    if (normP === undefined) return undefined;
    const w = paramTensor(index, l.weight)!;
    return normPerUnit(weightValues(w), w.dims.map(Number), l.outAxis, normP);
  };
  if (!doc) return layers.map((l) => ({ name: l.name, units: l.units, norm: norm(l) }));
  // Extra rows (residual adds, pools, sublayer outputs) are measured for LayerMem, not pruned.
  return doc.layers
    .filter((s) => !EXTRA_ROWS.includes(s.kind))
    .map((s) => {
      const l = byName.get(s.name);
      if (!l) throw new MemLensError('MISMATCH', `scores layer ${s.name} is not a prunable layer of the model`);
      if (s.units !== l.units || s.unitmem.length !== l.units) {
        throw new MemLensError(
          'MISMATCH',
          `scores layer ${s.name} has ${s.unitmem.length} units, the model's has ${l.units}`,
        );
      }
      return { name: l.name, units: l.units, unitmem: s.unitmem, norm: norm(l) };
    });
}
