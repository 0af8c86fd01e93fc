// The facade's boundary for untrusted callers (IPC from a renderer, HTTP from a browser): checks the
// method name and every request field against a runtime spec of src/shared/api.ts, runs the call and
// wraps the outcome in an Envelope so the caller can re-throw the engine's own message.
import { ACTIVATION_POLICIES, API_METHODS, type ApiMethod, type Envelope, type MemLensApi } from '../../shared/api.js';
import { ATTENTION_UNITS, COUPLINGS, PRUNE_MODES, PRUNE_SCOPES } from '../../shared/prune-options.js';
import { STRATEGY_NAMES } from '../../shared/strategies.js';
import { MemLensError } from './errors.js';

type Kind = 'string' | 'number' | 'boolean' | 'strings' | 'numbers' | 'object' | 'string|object';
export interface Field {
  kind: Kind;
  optional?: boolean;
  /** Allowed values (for strings, or each element of `strings`). */
  oneOf?: readonly string[];
  /** A path the call writes to (or below): hosts check it against their write policy. */
  writes?: boolean;
}
/** A request spec: its fields, or null for methods that take no request. */
export type Spec = Record<string, Field> | null;

/** Exactly one Field per request key: tsc flags a spec that drifts from src/shared/api.ts. */
type SpecOf<M extends ApiMethod> =
  Parameters<MemLensApi[M]> extends [] ? null : { [K in keyof Parameters<MemLensApi[M]>[0]]-?: Field };

const need = (kind: Kind, oneOf?: readonly string[]): Field => ({ kind, oneOf });
const opt = (kind: Kind, oneOf?: readonly string[]): Field => ({ kind, optional: true, oneOf });
/** A path the call writes: a file, a folder it fills, or a project whose folder gets the output. */
const written = (optional: boolean): Field => ({ kind: 'string', optional, writes: true });

const AUGMENT = ['simclr', 'none'] as const;
const PROBES = ['linear', 'knn'] as const;
const DATA = {
  mean: opt('numbers'),
  std: opt('numbers'),
  size: opt('numbers'),
  batch: opt('number'),
  seed: opt('number'),
  limit: opt('number'),
  jobId: opt('string'),
};

export const API_SPECS: { [M in ApiMethod]: SpecOf<M> } = {
  demoProject: null,
  openProject: { path: need('string') },
  createProject: { path: written(false), project: need('object') },
  recentProjects: null,
  inspect: { model: need('string') },
  unitmem: {
    ...DATA,
    model: need('string'),
    data: need('string'),
    views: opt('number'),
    augment: opt('string|object', AUGMENT),
    rest: opt('string', ['mean', 'median']),
    activation: opt('string', ACTIVATION_POLICIES),
    layers: opt('strings'),
    top: opt('number'),
  },
  classmem: {
    ...DATA,
    model: need('string'),
    data: need('string'),
    activation: opt('string', ACTIVATION_POLICIES),
    layers: opt('strings'),
  },
  layermem: {
    ...DATA,
    model: need('string'),
    reference: need('string'),
    data: need('string'),
    views: opt('number'),
    augment: opt('string|object', AUGMENT),
    pairing: opt('string', ['views', 'anchor']),
    norm: opt('string', ['paper', 'range']),
  },
  prune: {
    jobId: opt('string'),
    model: need('string'),
    scores: opt('string|object'),
    strategy: need('string', STRATEGY_NAMES),
    ratio: need('number'),
    scope: need('string', PRUNE_SCOPES),
    mode: opt('string', PRUNE_MODES),
    seed: opt('number'),
    include: opt('strings'),
    exclude: opt('strings'),
    align: opt('number'),
    coupling: opt('string', COUPLINGS),
    attention: opt('string', ATTENTION_UNITS),
    embeddingWidth: opt('boolean'),
    keepOutput: opt('boolean'),
    out: written(true),
  },
  evaluate: {
    ...DATA,
    model: need('string'),
    train: need('string'),
    test: need('string'),
    probe: opt('string', PROBES),
    k: opt('number'),
  },
  compare: {
    ...DATA,
    model: need('string'),
    data: need('string'),
    train: need('string'),
    test: need('string'),
    reference: opt('string'),
    control: opt('string'),
    project: written(true),
    strategies: need('strings', STRATEGY_NAMES),
    ratios: need('numbers'),
    scopes: opt('strings', PRUNE_SCOPES),
    seeds: opt('numbers'),
    probe: opt('string', PROBES),
    views: opt('number'),
    finetuned: opt('strings'),
    out: written(true),
  },
  openCompare: { path: need('string') },
  listSweeps: { project: need('string') },
  finetune: {
    ...DATA,
    model: need('string'),
    train: need('string'),
    test: need('string'),
    layers: need('string'),
    reference: opt('string'),
    control: opt('string'),
    data: opt('string'),
    epochs: opt('number'),
    optimizer: opt('string', ['adamw', 'sgd']),
    lr: opt('number'),
    head: opt('boolean'),
    out: written(true),
  },
  listFinetuneRuns: { project: need('string') },
  sampleImage: { data: need('string'), id: need('string') },
  saveExport: { path: written(false), content: need('string'), encoding: need('string', ['utf8', 'base64']) },
  cancel: { jobId: need('string') },
};

export function isApiMethod(method: unknown): method is ApiMethod {
  return typeof method === 'string' && (API_METHODS as readonly string[]).includes(method);
}

/** Throws BAD_INPUT naming the call and the field when `req` does not fit `spec`. */
export function checkRequest(where: string, spec: Spec, req: unknown): void {
  const bad = (what: string) => new MemLensError('BAD_INPUT', `${where}: ${what}`);
  if (spec === null) {
    if (req === undefined || req === null || (isPlainObject(req) && Object.keys(req).length === 0)) return;
    throw bad('takes no request');
  }
  if (!isPlainObject(req)) throw bad('the request must be a plain object');
  for (const key of Object.keys(req)) if (!(key in spec)) throw bad(`unknown field '${key}'`);
  for (const [key, field] of Object.entries(spec)) {
    const v = req[key];
    if (v === undefined) {
      if (!field.optional) throw bad(`missing field '${key}'`);
      continue;
    }
    const problem = fieldProblem(field, v);
    if (problem) throw bad(`field '${key}' ${problem}`);
  }
}

function fieldProblem(f: Field, v: unknown): string | undefined {
  const inSet = (s: unknown) => !f.oneOf || f.oneOf.includes(s as string);
  const choices = () => `must be one of ${f.oneOf!.join(', ')}`;
  switch (f.kind) {
    case 'string':
      if (typeof v !== 'string') return 'must be a string';
      return inSet(v) ? undefined : choices();
    case 'number':
      return isNumber(v) ? undefined : 'must be a finite number';
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'must be true or false';
    case 'strings':
      if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return 'must be a list of strings';
      return v.every(inSet) ? undefined : choices();
    case 'numbers':
      return Array.isArray(v) && v.every(isNumber) ? undefined : 'must be a list of finite numbers';
    case 'object':
      return isPlainObject(v) ? undefined : 'must be an object';
    case 'string|object':
      if (isPlainObject(v)) return undefined;
      if (typeof v !== 'string') return 'must be a string or an object';
      return inSet(v) ? undefined : choices();
  }
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** JSON-like objects only: rejects arrays, class instances and prototype tricks from a renderer. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Converts any outcome to the wire envelope: the engine's message, its code when it has one. */
export async function envelope<T>(work: () => Promise<T>): Promise<Envelope<T>> {
  try {
    return { result: await work() };
  } catch (e) {
    // MemLensError, or an ApiError re-thrown from a worker's envelope: keep the engine's code.
    const code = (e as { code?: unknown })?.code;
    const message = (e as Error)?.message ?? String(e);
    return typeof code === 'string' ? { error: message, code } : { error: message };
  }
}

/** Validates and runs one API call from an untrusted caller; throws BAD_INPUT for a malformed call. */
export async function callChecked(api: MemLensApi, method: unknown, req: unknown): Promise<unknown> {
  if (!isApiMethod(method)) throw new MemLensError('BAD_INPUT', `unknown method ${JSON.stringify(method)}`);
  checkRequest(method, API_SPECS[method], req);
  const call = api[method] as (r?: unknown) => Promise<unknown>;
  return call(req ?? undefined);
}

/** callChecked wrapped in an envelope; never throws. */
export function dispatch(api: MemLensApi, method: unknown, req: unknown): Promise<Envelope<unknown>> {
  return envelope(() => callChecked(api, method, req));
}
