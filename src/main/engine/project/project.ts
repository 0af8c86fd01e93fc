import { existsSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { AugmentSettings, Normalization, ProjectFile, ProjectInfo } from '../../../shared/api.js';
import { resolveAugment } from '../data/index.js';
import { MemLensError } from '../errors.js';
import { isJsonObject, readJson, requireFile, writeFileAtomic } from '../files.js';

export const PROJECT_SCHEMA = 'memlens.project/1';
export const DEMO_PROJECT = join('demo', 'project.memlens.json');
const MAX_RECENT = 10;
/** The project's optional data paths (besides the candidates), resolved and checked alike. */
const OPTIONAL_DATA = ['control', 'train', 'test', 'views'] as const;

/** Reads, validates and resolves a project file: every path in the result is absolute. */
export async function loadProject(path: string): Promise<ProjectInfo> {
  await requireFile(path, 'project file');
  if (await isOnnxModel(path)) {
    throw new MemLensError(
      'BAD_INPUT',
      `${path} is an ONNX model, not a project file (*.memlens.json): create a project for it (the app's Project screen offers to), or give it as MODEL to a memlens verb`,
    );
  }
  const p = validateProject(await readJson(path, 'project file'), path);
  const at = (rel: string) => resolve(dirname(resolve(path)), rel);
  await requireFile(at(p.model), `project ${path}: model`);
  if (p.reference) await requireFile(at(p.reference), `project ${path}: reference`);
  const data: ProjectFile['data'] = { candidates: at(p.data.candidates) };
  for (const k of OPTIONAL_DATA) if (p.data[k]) data[k] = at(p.data[k]!);
  return {
    path: resolve(path),
    name: p.name,
    model: at(p.model),
    ...(p.reference ? { reference: at(p.reference) } : {}),
    ...(p.supervised ? { supervised: at(p.supervised) } : {}),
    data,
    normalization: p.normalization,
    augment: projectAugment(p, path),
  };
}

/**
 * A model where a project file belongs is the likeliest slip (both are opened by path). An ONNX
 * file is a protobuf whose first field is ir_version (field 1, varint: byte 0x08), which no JSON
 * text starts with; the extension alone would miss a renamed file.
 */
async function isOnnxModel(path: string): Promise<boolean> {
  if (/\.onnx$/i.test(path)) return true;
  const f = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await f.read(Buffer.alloc(1), 0, 1, 0);
    return bytesRead === 1 && buffer[0] === 0x08;
  } finally {
    await f.close();
  }
}

/** The project's augmentations, completed from the defaults and validated (errors name the file). */
function projectAugment(p: ProjectFile, path: string): AugmentSettings {
  try {
    return resolveAugment(p.augment);
  } catch (e) {
    throw new MemLensError('BAD_INPUT', `project file ${path}: ${(e as Error).message}`);
  }
}

/** Writes a new project file (absolute paths made relative to it, as the format wants) and loads it. */
export async function createProject(path: string, project: ProjectFile): Promise<ProjectInfo> {
  if (!path.endsWith('.memlens.json'))
    throw new MemLensError('BAD_INPUT', `project file ${path} must end in .memlens.json`);
  const p = validateProject(project, path);
  const dir = dirname(resolve(path));
  const rel = (f: string) => (isAbsolute(f) ? relative(dir, f) : f);
  const data: ProjectFile['data'] = { candidates: rel(p.data.candidates) };
  for (const k of OPTIONAL_DATA) if (p.data[k]) data[k] = rel(p.data[k]!);
  const doc: ProjectFile = {
    ...p,
    model: rel(p.model),
    ...(p.reference ? { reference: rel(p.reference) } : {}),
    ...(p.supervised ? { supervised: rel(p.supervised) } : {}),
    data,
  };
  await writeFileAtomic(path, JSON.stringify(doc, null, 2) + '\n');
  return loadProject(path);
}

function validateProject(doc: unknown, path: string): ProjectFile {
  const bad = (what: string) => new MemLensError('BAD_INPUT', `project file ${path}: ${what}`);
  if (!isJsonObject(doc)) throw bad('not a JSON object');
  if (doc.schema !== PROJECT_SCHEMA) throw bad(`schema must be '${PROJECT_SCHEMA}', got ${JSON.stringify(doc.schema)}`);
  for (const k of ['name', 'model'] as const) if (!nonEmpty(doc[k])) throw bad(`'${k}' must be a non-empty string`);
  for (const k of ['reference', 'supervised'] as const) {
    if (doc[k] !== undefined && !nonEmpty(doc[k])) throw bad(`'${k}' must be a non-empty string when given`);
  }
  if (!isJsonObject(doc.data) || !nonEmpty(doc.data.candidates))
    throw bad("'data.candidates' must be a non-empty string");
  for (const k of OPTIONAL_DATA) {
    if (doc.data[k] !== undefined && !nonEmpty(doc.data[k]))
      throw bad(`'data.${k}' must be a non-empty string when given`);
  }
  checkNormalization(doc.normalization, bad);
  if (doc.augment !== undefined && !isJsonObject(doc.augment)) throw bad("'augment' must be an object");
  return doc as unknown as ProjectFile;
}

function checkNormalization(n: unknown, bad: (what: string) => Error): asserts n is Normalization {
  if (!isJsonObject(n)) throw bad("'normalization' must be { mean: [..], std: [..] }");
  const nums = (v: unknown) =>
    Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!nums(n.mean) || !nums(n.std)) throw bad("'normalization.mean' and '.std' must be non-empty number arrays");
  if ((n.std as number[]).some((s) => s <= 0)) throw bad("'normalization.std' values must be positive");
}

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

/** Recently opened projects, kept as a small JSON list in the host's state folder. */
export class RecentProjects {
  private readonly file: string;
  constructor(stateDir: string) {
    this.file = join(stateDir, 'recent-projects.json');
  }

  async list(): Promise<string[]> {
    const raw = await readFile(this.file, 'utf8').catch(() => '[]');
    let paths: unknown;
    try {
      paths = JSON.parse(raw);
    } catch {
      paths = []; // a damaged list is not worth an error: it only suggests paths
    }
    return Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string' && existsSync(p)) : [];
  }

  async add(path: string): Promise<void> {
    const list = [path, ...(await this.list()).filter((p) => p !== path)].slice(0, MAX_RECENT);
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(list, null, 2) + '\n');
  }
}

/**
 * The folder holding `demo/`: hosts are bundled to different depths (out/cli, out/main, src in
 * tests), so walk up from the caller to the package root instead of hard-coding a relative path.
 */
export function findResourcesDir(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources'))) return join(dir, 'resources');
    if (dirname(dir) === dir) throw new MemLensError('NOT_FOUND', `no resources folder above ${start}`);
  }
}
