// The one contract between the engine and every host (CLI, Electron IPC, HTTP/WebSocket, tests).
// Declared once, as types; hosts wrap each call into `{ result } | { error }` (see Envelope).
// Result documents follow ../shared/docs/DESIGN.md ("Results document").

// ---------- common ----------

/** Identifies a model file by path and content hash (results are cached and checked by sha256). */
export interface ModelRef {
  path: string;
  sha256: string;
}

/** Input normalization after scaling pixels to [0,1]; one value per channel (or one for all). */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** Options every data-reading call takes (CLI: --mean --std --size --batch --seed). */
export interface DataOptions {
  mean?: number[];
  std?: number[];
  /** [height, width]; default: the model's input shape. */
  size?: [number, number];
  batch?: number;
  seed?: number;
  /** Cap on the number of samples read (the first N in source order). */
  limit?: number;
}

/** Progress of a long job; `done` of `total` units of `stage`. */
export interface Progress {
  jobId: string;
  done: number;
  total: number;
  stage: string;
  /** Live figures of the step just done (fine-tuning: loss, accuracy), for curves while it runs. */
  metrics?: Record<string, number>;
}

/** What the engine's long functions accept besides their request. */
export interface JobControl {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, stage: string, metrics?: Record<string, number>) => void;
}

/** Wire envelope used by every transport: the caller re-throws `error` with the engine's own words. */
export type Envelope<T> = { result: T } | { error: string; code?: string };

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

export interface LayerInfo {
  name: string;
  op: string;
  kind: LayerKind;
  /** Node producing the activation (after the BN/activation chain). */
  tensor: string;
  /** Output channels (conv) or features (linear); the unit count. */
  units: number;
  params: number;
  /** True for Conv/Gemm/MatMul rows, false for extra rows (adds, sublayer outputs, pools). */
  prunable: boolean;
  /** ViT block index where known. */
  block?: number;
  /** For ViT sublayer-output rows: the sublayer whose residual add this is (METRICS.md fact 6). */
  sublayer?: 'attention' | 'mlp';
}

export interface ModelInfo {
  schema: 'memlens.inspect/1';
  model: ModelRef;
  opset: number;
  producer: string;
  input: { name: string; shape: (number | string)[]; type: string };
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
  layers?: string[];
}

export interface ClassMemResult {
  schema: 'memlens.classmem/1';
  model: ModelRef;
  settings: Record<string, unknown>;
  classes: string[];
  layers: { name: string; kind: LayerKind; units: number; classmem: number[]; argmaxClass: number[] }[];
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

export type PruneStrategy = 'high' | 'low' | 'random' | 'l1';

export interface PruneRequest {
  model: string;
  /** A memlens.unitmem/1 document (path or the document itself); not needed for `l1`/`random`. */
  scores?: string | UnitMemResult;
  strategy: PruneStrategy;
  ratio: number;
  scope: 'layer' | 'global';
  mode?: 'structural' | 'mask';
  seed?: number;
  include?: string[];
  exclude?: string[];
  /**
   * Structural mode keeps each cut group at a multiple of this many channels (when it had one), so
   * onnxruntime's blocked conv kernels still apply; leftover selected units are masked. Default 16; 1 = off.
   */
  align?: number;
  /**
   * Residual partners: 'intersection' (default) ranks each layer alone and cuts the channels all of
   * them selected (the rest are masked); 'group' ranks them together on their mean score, so they
   * select, and lose, the same channels.
   */
  coupling?: 'intersection' | 'group';
  /** Output path; omitted for a preview (nothing written). */
  out?: string;
}

export interface PruneResult {
  schema: 'memlens.prune/1';
  model: ModelRef;
  settings: Record<string, unknown>;
  removed: Record<string, number[]>;
  params: { before: number; after: number };
  flops: { before: number; after: number };
  groups: { layers: string[]; units: number; mode: 'structural' | 'mask'; reason?: string }[];
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

export interface CompareRequest extends DataOptions {
  model: string;
  data: string;
  train: string;
  test: string;
  reference?: string;
  strategies: PruneStrategy[];
  ratios: number[];
  scopes?: ('layer' | 'global')[];
  seeds?: number[];
  probe?: 'linear' | 'knn';
  views?: number;
  /** Folder for compare.json, compare.csv, report.html and the pruned models. */
  out?: string;
}

export interface ComparePoint {
  strategy: PruneStrategy | 'none';
  scope: 'layer' | 'global';
  ratio: number;
  seed: number;
  accuracy: number;
  meanUnitMem: number;
  layerMem?: number;
  params: number;
  flops: number;
  latencyMs: number;
}

export interface CompareResult {
  schema: 'memlens.compare/1';
  model: ModelRef;
  settings: Record<string, unknown>;
  points: ComparePoint[];
  files?: { json: string; csv: string; html: string };
}

// ---------- fine-tuning ----------

export interface FinetuneRequest extends DataOptions {
  model: string;
  train: string;
  test: string;
  layers: string;
  reference?: string;
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
  /** Head only (no encoder tensor trained), same data, epochs and seed; per-epoch figures as in `epochs`. */
  baseline: { accuracy: number; epochs?: { loss: number; accuracy: number }[] };
  finetuned: { accuracy: number };
  epochs: { loss: number; accuracy: number }[];
  out?: string;
}

// ---------- the API every host exposes ----------

export interface SampleImageRequest {
  data: string;
  /** Sample id as found in a result's `samples`. */
  id: string;
}

/** Long calls take a caller-chosen jobId; progress events carry it; cancel(jobId) aborts. */
export interface Job {
  jobId?: string;
}

/** A file the user saves from a screen (chart PNG/SVG, CSV); `base64` for binary content. */
export interface SaveExportRequest {
  path: string;
  content: string;
  encoding: 'utf8' | 'base64';
}

export interface MemLensApi {
  demoProject(): Promise<ProjectInfo>;
  openProject(req: { path: string }): Promise<ProjectInfo>;
  /** Writes a project file (paths relative to it) and opens it. */
  createProject(req: { path: string; project: ProjectFile }): Promise<ProjectInfo>;
  /** Recently opened project files, newest first (missing files dropped). */
  recentProjects(): Promise<string[]>;
  inspect(req: { model: string }): Promise<ModelInfo>;
  unitmem(req: UnitMemRequest & Job): Promise<UnitMemResult>;
  classmem(req: ClassMemRequest & Job): Promise<ClassMemResult>;
  layermem(req: LayerMemRequest & Job): Promise<LayerMemResult>;
  prune(req: PruneRequest & Job): Promise<PruneResult>;
  evaluate(req: EvaluateRequest & Job): Promise<EvaluateResult>;
  compare(req: CompareRequest & Job): Promise<CompareResult>;
  finetune(req: FinetuneRequest & Job): Promise<FinetuneResult>;
  /** A sample as a PNG data URL, for showing the image a unit memorizes. */
  sampleImage(req: SampleImageRequest): Promise<string>;
  /** Writes an export atomically; returns the path written. */
  saveExport(req: SaveExportRequest): Promise<string>;
  cancel(req: { jobId: string }): Promise<void>;
}

export type ApiMethod = keyof MemLensApi;

/** The method names, for hosts that register handlers and for argument validation. */
export const API_METHODS: readonly ApiMethod[] = [
  'demoProject',
  'openProject',
  'createProject',
  'recentProjects',
  'inspect',
  'unitmem',
  'classmem',
  'layermem',
  'prune',
  'evaluate',
  'compare',
  'finetune',
  'sampleImage',
  'saveExport',
  'cancel',
] as const;

// ---------- host extras (desktop only) ----------

export interface FileDialogRequest {
  title: string;
  /** A save dialog (else open). */
  save?: boolean;
  /** Pick a folder (open only). */
  folder?: boolean;
  defaultPath?: string;
  /** File name extensions offered (without dots), e.g. ['onnx']. */
  extensions?: string[];
}

/** Native dialogs of the Electron host; the browser host has none (the renderer asks for a path). */
export interface HostDialogs {
  /** The chosen path, or null when the user cancelled. */
  chooseFile(req: FileDialogRequest): Promise<string | null>;
}

export const HOST_METHODS: readonly (keyof HostDialogs)[] = ['chooseFile'] as const;

/** Menu commands the desktop host sends to the renderer (channel `memlens:menu`). */
export type MenuCommand =
  | { command: 'open-project'; path: string }
  | { command: 'open-model'; path: string }
  | { command: 'export' };
