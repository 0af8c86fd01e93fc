// The request and result documents of every engine call (docs/ARCHITECTURE.md "The results documents"), part of the
// one API contract: import them from api.ts, which re-exports this file.
import type { ModelRef, Normalization, DataOptions } from './api.js';
import type { AttentionUnit, Coupling, PruneMode, PruneScope } from './prune-options.js';
import type { ComparePoint } from './compare-document.js';
import type { PruneStrategy } from './strategies.js';

// ---------- project ----------

export interface ProjectFile {
  schema: 'memlens.project/1';
  name: string;
  /** Paths are relative to the project file. */
  model: string;
  reference?: string;
  supervised?: string;
  data: {
    /** The candidate points whose memorization is measured. */
    candidates: string;
    /**
     * Points f and its reference g both trained on: compare's SSLMem gap (candidates minus control)
     * tells lower memorization from damage that raises every distance.
     */
    control?: string;
    /** Labelled splits for downstream evaluation. */
    train?: string;
    test?: string;
    /** Optional folder of per-sample view folders. */
    views?: string;
  };
  normalization: Normalization;
  augment?: AugmentSettings;
  models?: { name: string; path: string; role: string }[];
}

export interface ProjectInfo {
  path: string;
  name: string;
  model: string;
  reference?: string;
  supervised?: string;
  data: ProjectFile['data'];
  normalization: Normalization;
  augment: AugmentSettings;
}

// ---------- models ----------

export type LayerKind =
  | 'conv'
  | 'depthwise-conv'
  | 'linear'
  | 'attention-proj'
  | 'mlp-fc1'
  | 'mlp-fc2'
  | 'residual-add'
  | 'sublayer-output'
  | 'pool';

/** How UnitMem reads a layer's units (docs/UNITS.md): raw as the layer outputs them, or as rates. */
export type ActivationPolicy = 'rate' | 'raw';

/** Where a layer's units are read and what the graph does to them before the per-unit mean. */
export interface UnitRead {
  tensor: string;
  /** The axis of `tensor` that holds the units; every other non-batch axis is averaged. */
  axis: number;
  /** Index of the layer's first unit on that axis (a Concat puts other layers' channels first). */
  offset: number;
  /** 'relu': the positive part, where no non-negative tensor follows the layer. */
  transform: 'none' | 'relu';
}

export interface LayerInfo {
  name: string;
  op: string;
  kind: LayerKind;
  /** Node producing the activation (after the BN/activation chain). */
  tensor: string;
  /** The layer node's first output: identifies the node (node names may be empty or repeat). */
  output: string;
  /** Output channels (conv) or features (linear); the unit count. */
  units: number;
  /** Where the units are read under each activation policy; absent with `noUnits`. */
  read?: Record<ActivationPolicy, UnitRead>;
  /** Why the layer's output has no identifiable unit axis (then nothing is read for it). */
  noUnits?: string;
  /** Weight and bias constants of a prunable layer, the weight first. */
  weights?: string[];
  params: number;
  /** True for Conv/Gemm/MatMul rows, false for extra rows (adds, sublayer outputs, pools). */
  prunable: boolean;
  /** ViT block index where known. */
  block?: number;
  /** For ViT sublayer-output rows: the sublayer whose residual add this is (docs/METRICS.md "Facts", 6). */
  sublayer?: 'attention' | 'mlp';
}

export interface ModelInfo {
  schema: 'memlens.inspect/1';
  model: ModelRef;
  opset: number;
  producer: string;
  /** Absent for a graph that takes no input (constants only): valid, but it cannot run images. */
  input?: { name: string; shape: (number | string)[]; type: string };
  output: { name: string; shape: (number | string)[]; type: string };
  params: number;
  flops: number;
  layers: LayerInfo[];
}

// ---------- memorization ----------

export interface AugmentSettings {
  kind: 'simclr' | 'none';
  cropScale: [number, number];
  flipP: number;
  jitterP: number;
  jitter: { brightness: number; contrast: number; saturation: number; hue: number };
  grayscaleP: number;
}

export interface UnitMemRequest extends DataOptions {
  model: string;
  data: string;
  views?: number;
  augment?: Partial<AugmentSettings> | 'simclr' | 'none';
  rest?: 'mean' | 'median';
  /** Where units are read (docs/UNITS.md); default 'rate'. */
  activation?: ActivationPolicy;
  /** Restrict to these layer names (default: every prunable layer). */
  layers?: string[];
  /** Highest-mu samples kept per unit (default 5). */
  top?: number;
}

export interface UnitMemLayer {
  name: string;
  op: string;
  kind: LayerKind;
  tensor: string;
  units: number;
  unitmem: number[];
  muMax: number[];
  muRest: number[];
  /** Index into `samples` of the point each unit memorizes. */
  argmaxSample: number[];
  /**
   * Per unit, indices into `samples` of its highest-mu samples, highest first, ties by lower index
   * (so top[u][0] === argmaxSample[u]); with their mu in `topMu`. Absent in score files written before.
   */
  top?: number[][];
  topMu?: number[][];
  /** True when activations can be negative (UnitMem then leaves [0,1]). */
  signed?: boolean;
  /** Where the units were read and the transform applied (absent in score files written before). */
  read?: UnitRead;
  /** Why nothing was measured for this layer (no identifiable unit axis); its arrays are then empty. */
  reason?: string;
}

export interface UnitMemResult {
  schema: 'memlens.unitmem/1';
  model: ModelRef;
  settings: Record<string, unknown>;
  samples: string[];
  skipped?: { id: string; reason: string }[];
  layers: UnitMemLayer[];
}

export interface ClassMemRequest extends DataOptions {
  model: string;
  data: string;
  /** Where units are read (docs/UNITS.md); default 'rate'. */
  activation?: ActivationPolicy;
  layers?: string[];
}

export interface ClassMemResult {
  schema: 'memlens.classmem/1';
  model: ModelRef;
  settings: Record<string, unknown>;
  classes: string[];
  layers: {
    name: string;
    kind: LayerKind;
    units: number;
    classmem: number[];
    argmaxClass: number[];
    read?: UnitRead;
    reason?: string;
  }[];
}

export interface LayerMemRequest extends DataOptions {
  model: string;
  reference: string;
  data: string;
  views?: number;
  augment?: Partial<AugmentSettings> | 'simclr' | 'none';
  pairing?: 'views' | 'anchor';
  norm?: 'paper' | 'range';
}

export interface LayerMemResult {
  schema: 'memlens.layermem/1';
  model: ModelRef;
  reference: ModelRef;
  settings: Record<string, unknown>;
  samples: string[];
  layers: {
    name: string;
    kind: LayerKind;
    tensor: string;
    layermem: number;
    delta: number;
    /** Per-point SSLMem, aligned with `samples`. */
    sslmem: number[];
  }[];
}

// ---------- pruning ----------

// The strategy names come from the one list in strategies.ts.
export type { PruneStrategy };

export interface PruneRequest {
  model: string;
  /** A memlens.unitmem/1 document (path or the document itself); needed only by strategies that rank by UnitMem (strategies.ts). */
  scores?: string | UnitMemResult;
  strategy: PruneStrategy;
  ratio: number;
  scope: PruneScope;
  /** Default (prune-options.ts): structural. */
  mode?: PruneMode;
  seed?: number;
  /** Only these layers are ranked (and pruned); the others keep every unit. */
  include?: string[];
  exclude?: string[];
  /**
   * Structural mode keeps each cut group at a multiple of this many channels (when it had one), so
   * onnxruntime's blocked conv kernels still apply; the selected channels left over are masked and
   * reported. Default 1 (off): every selected channel is cut.
   */
  align?: number;
  /** Coupled layers: 'group' (default) ranks them together, 'intersection' cuts what all of them selected. */
  coupling?: Coupling;
  /** Attention layers lose head dimensions ('dims', default) or whole heads (prune-options.ts). */
  attention?: AttentionUnit;
  /**
   * Cut a Transformer's embedding width too: the residual stream with every LayerNorm, the patch
   * embedding, position embedding and class token (docs/PRUNING.md). Default false: it is masked.
   */
  embeddingWidth?: boolean;
  /**
   * Mask, instead of cutting, the channels that reach the model output (a CNN's last stage), so the
   * embedding keeps its dimension. Default false: they are cut like any other, the embedding loses
   * those dimensions and the result's notes say so.
   */
  keepOutput?: boolean;
  /** Output path; omitted for a preview (nothing written). */
  out?: string;
}

/** What happened to one ranked layer's units. */
export interface PruneLayerReport {
  name: string;
  units: number;
  /** Units the strategy selected. */
  selected: number;
  /** Units removed from the model (structural mode). */
  cut: number;
  /** Selected units kept with zeroed parameters. */
  masked: number;
}

export interface PruneResult {
  schema: 'memlens.prune/1';
  model: ModelRef;
  settings: Record<string, unknown>;
  removed: Record<string, number[]>;
  /** Per ranked layer, in forward order: selected, cut and masked units. */
  layers: PruneLayerReport[];
  params: { before: number; after: number };
  flops: { before: number; after: number };
  /** Serialized model size; `after` is what the export writes (or would write, in a preview). */
  bytes: { before: number; after: number };
  groups: { layers: string[]; units: number; mode: PruneMode; reason?: string }[];
  /** Model outputs that lost channels (embedding dimensions): their indices in the unpruned output. */
  outputs: { name: string; removed: number[] }[];
  /** Plain-words notes on the outcome, e.g. that structural mode cut nothing, or that normalization now spans fewer channels. */
  notes: string[];
  out?: string;
  provenance?: Record<string, string>;
}

// ---------- evaluation ----------

export interface EvaluateRequest extends DataOptions {
  model: string;
  train: string;
  test: string;
  probe?: 'linear' | 'knn';
  k?: number;
}

export interface EvaluateResult {
  schema: 'memlens.evaluate/1';
  model: ModelRef;
  settings: Record<string, unknown>;
  probe: 'linear' | 'knn';
  accuracy: number;
  perClass: number[];
  trainCount: number;
  testCount: number;
}

// The comparison sweep's documents (docs/compare.md) live in compare-document.ts.
export * from './compare-document.js';

// ---------- fine-tuning ----------

export interface FinetuneRequest extends DataOptions {
  model: string;
  train: string;
  test: string;
  layers: string;
  reference?: string;
  /** Points f and the reference both trained on: with it the result gets the SSLMem gap before and after. */
  control?: string;
  /** Points LayerMem ranks layers on for `auto` (default: the candidates of the project next to the model, else `train`). */
  data?: string;
  epochs?: number;
  optimizer?: 'adamw' | 'sgd';
  lr?: number;
  /** Also export the trained linear head (output `logits`). */
  head?: boolean;
  out?: string;
}

export interface FinetuneResult {
  schema: 'memlens.finetune/1';
  model: ModelRef;
  settings: Record<string, unknown>;
  layers: string[];
  /**
   * How both accuracies were obtained: the same linear head trained the same way (optimizer, epochs,
   * lr, batch, seed), on the frozen encoder for the baseline, with the chosen layers for the
   * fine-tuned one. Not `memlens evaluate`'s probe (L-BFGS to convergence on fixed embeddings),
   * which reads higher. Absent in result files written before.
   */
  probe?: { kind: 'linear head'; optimizer: 'adamw' | 'sgd'; epochs: number; lr: number; batch: number; seed: number };
  /** Head only (no encoder tensor trained), same data, epochs and seed; per-epoch figures as in `epochs`. */
  baseline: { accuracy: number; epochs?: { loss: number; accuracy: number }[] };
  finetuned: { accuracy: number };
  /**
   * Memorization of the encoder before and after, measured as compare measures a pruned one: UnitMem
   * re-measured on the candidates; with a reference and a control set, the SSLMem gap.
   */
  memorization?: { candidates: string; before: ComparePoint['memorization']; after: ComparePoint['memorization'] };
  epochs: { loss: number; accuracy: number }[];
  out?: string;
}
