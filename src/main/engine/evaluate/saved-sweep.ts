// A sweep saved by `memlens compare` (DIR/compare.json) read back, so the Compare screen shows an
// earlier run (one from the CLI on a server, say) without sweeping again. Everything the screen
// reads is checked here: a hand-edited or foreign file gets one line naming the file and the field.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComparePoint, CompareResult } from '../../../shared/api.js';
import { STRATEGY_NAMES } from '../../../shared/strategies.js';
import { MemLensError } from '../errors.js';
import { isJsonObject, readJson } from '../files.js';

export const COMPARE_SCHEMA = 'memlens.compare/1';
const STRATEGIES = ['none', ...STRATEGY_NAMES];
const SCOPES = ['layer', 'global'];
const NUMBERS = ['ratio', 'seed', 'accuracy', 'meanUnitMem', 'params', 'flops', 'latencyMs'] as const;

function checkPoint(p: unknown, i: number, bad: (what: string) => MemLensError): ComparePoint {
  if (!isJsonObject(p)) throw bad(`point ${i} is not an object`);
  if (!STRATEGIES.includes(p.strategy as string)) throw bad(`point ${i}: strategy must be one of ${STRATEGIES.join(', ')}`);
  if (!SCOPES.includes(p.scope as string)) throw bad(`point ${i}: scope must be layer or global`);
  for (const k of NUMBERS) if (typeof p[k] !== 'number' || !Number.isFinite(p[k])) throw bad(`point ${i}: ${k} must be a number`);
  if (p.layerMem !== undefined && (typeof p.layerMem !== 'number' || !Number.isFinite(p.layerMem))) throw bad(`point ${i}: layerMem must be a number`);
  return p as unknown as ComparePoint;
}

/** `path`: a compare.json, or the folder `memlens compare --out` wrote it to. */
export async function openSavedSweep(path: string): Promise<CompareResult> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new MemLensError('NOT_FOUND', `saved comparison ${path} does not exist`);
  const file = s.isDirectory() ? join(path, 'compare.json') : path;
  if (s.isDirectory() && !(await stat(file).catch(() => undefined))?.isFile()) {
    throw new MemLensError('NOT_FOUND', `folder ${path} holds no compare.json (memlens compare --out DIR writes one)`);
  }
  const doc = await readJson(file, 'saved comparison');
  const bad = (what: string) => new MemLensError('BAD_INPUT', `saved comparison ${file}: ${what}`);
  if (!isJsonObject(doc) || doc.schema !== COMPARE_SCHEMA) {
    const found = isJsonObject(doc) && typeof doc.schema === 'string' ? `'${doc.schema}'` : 'none';
    throw bad(`not a MemLens comparison (schema ${COMPARE_SCHEMA} expected, found ${found})`);
  }
  if (!isJsonObject(doc.model) || typeof doc.model.path !== 'string') throw bad('model.path must be a string');
  if (!isJsonObject(doc.settings)) throw bad('settings must be an object');
  if (!Array.isArray(doc.points) || doc.points.length === 0) throw bad('points must be a non-empty list');
  const points = doc.points.map((p, i) => checkPoint(p, i, bad));
  return { ...(doc as unknown as CompareResult), points };
}
