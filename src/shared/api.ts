// The one contract between the engine and every host (CLI, Electron IPC, HTTP/WebSocket, tests).
// Declared once, as types; hosts wrap each call into `{ result } | { error }` (see Envelope).
// Result documents follow docs/ARCHITECTURE.md ("The results documents").

import type {
  ActivationPolicy,
  ProjectFile,
  ProjectInfo,
  ModelInfo,
  UnitMemRequest,
  UnitMemResult,
  ClassMemRequest,
  ClassMemResult,
  LayerMemRequest,
  LayerMemResult,
  PruneRequest,
  PruneResult,
  EvaluateRequest,
  EvaluateResult,
  CompareRequest,
  CompareResult,
  SavedSweepInfo,
  FinetuneRunInfo,
  FinetuneRequest,
  FinetuneResult,
} from './documents.js';

// The request and result documents live in documents.ts; they are part of this contract.
export type * from './documents.js';

// ---------- common ----------

/** UnitMem's activation policies (docs/UNITS.md), the default first: rates, or the layer output as is. */
export const ACTIVATION_POLICIES = ['rate', 'raw'] as const satisfies readonly ActivationPolicy[];
export const DEFAULT_ACTIVATION: ActivationPolicy = ACTIVATION_POLICIES[0];

/** Identifies a model file by path and content hash (results are cached and checked by sha256). */
export interface ModelRef {
  path: string;
  sha256: string;
}

/**
 * Where a result's normalization came from (its settings' `normalizationFrom`): the request (the
 * CLI's --mean/--std, the app's project), the project.memlens.json beside the model, or the
 * 0.5/0.5 default used when neither gives one.
 */
export type NormalizationSource = 'request' | 'project' | 'default';

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
  /** One line on a choice the engine made for the run (the batch it picked, where views are cut). */
  onNote?: (line: string) => void;
}

/** Wire envelope used by every transport: the caller re-throws `error` with the engine's own words. */
export type Envelope<T> = { result: T } | { error: string; code?: string };

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
  /** A sweep saved by `memlens compare`: its compare.json, or the folder it wrote. */
  openCompare(req: { path: string }): Promise<CompareResult>;
  /** The sweeps kept in a project's folder (compare with `project`), newest first. */
  listSweeps(req: { project: string }): Promise<SavedSweepInfo[]>;
  finetune(req: FinetuneRequest & Job): Promise<FinetuneResult>;
  /** The fine-tune runs beside a project (its folder and its model's), newest first: compare's `finetuned`. */
  listFinetuneRuns(req: { project: string }): Promise<FinetuneRunInfo[]>;
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
  'openCompare',
  'listSweeps',
  'finetune',
  'listFinetuneRuns',
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
  { command: 'open-project'; path: string } | { command: 'open-model'; path: string } | { command: 'export' };
