// A sweep saved by `memlens compare` (DIR/compare.json) read back, so the Compare screen shows an
// earlier run (one from the CLI on a server, say) without sweeping again. Everything the screen
// reads is checked here: a hand-edited or foreign file gets one line naming the file and the field.
// Version 1 files (one point per seed, no intervals, UnitMem of the kept units taken before
// pruning) open as version 2 documents whose figures say they were not measured.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComparePoint, CompareResult, CompareTest } from '../../../shared/api.js';
import { FINETUNED, POINT_STRATEGIES } from '../../../shared/strategies.js';
import { MemLensError } from '../errors.js';
import { isJsonObject, readJson } from '../files.js';
import { COMPARE_SCHEMA } from './sweep.js';

const COMPARE_V1 = 'memlens.compare/1';
const STRATEGIES: readonly string[] = POINT_STRATEGIES;
const SCOPES = ['layer', 'global'];
const METRICS = ['accuracy', 'sslmemGap'];
const VERDICTS = ['higher', 'lower', 'not significant'];

type Bad = (what: string) => MemLensError;
type Json = Record<string, unknown>;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInterval = (v: unknown) => Array.isArray(v) && v.length === 2 && v.every(isNumber);

function numbers(o: Json, keys: readonly string[], where: string, bad: Bad): void {
  for (const k of keys) if (!isNumber(o[k])) throw bad(`${where}: ${k} must be a number`);
}

function object(v: unknown, where: string, bad: Bad): Json {
  if (!isJsonObject(v)) throw bad(`${where} must be an object`);
  return v;
}

function checkCell(p: Json, where: string, bad: Bad): void {
  if (!STRATEGIES.includes(p.strategy as string))
    throw bad(`${where}: strategy must be one of ${STRATEGIES.join(', ')}`);
  if (!SCOPES.includes(p.scope as string)) throw bad(`${where}: scope must be layer or global`);
}

function checkPoint(v: unknown, i: number, bad: Bad): ComparePoint {
  const where = `point ${i}`;
  const p = object(v, where, bad);
  checkCell(p, where, bad);
  numbers(p, ['ratio', 'params', 'flops', 'latencyMs'], where, bad);
  if (p.strategy === FINETUNED && !(isJsonObject(p.finetuned) && typeof p.finetuned.path === 'string'))
    throw bad(`${where}: a ${FINETUNED} point needs finetuned.path`);
  if (!Array.isArray(p.seeds) || !p.seeds.every(Number.isInteger))
    throw bad(`${where}: seeds must be a list of integers`);
  const accuracy = object(p.accuracy, `${where}: accuracy`, bad);
  numbers(accuracy, ['mean'], `${where}: accuracy`, bad);
  if (accuracy.ci95 !== null && !isInterval(accuracy.ci95))
    throw bad(`${where}: accuracy.ci95 must be [lower, upper] or null`);
  if (!Array.isArray(accuracy.perSeed) || !accuracy.perSeed.every(isNumber))
    throw bad(`${where}: accuracy.perSeed must be a list of numbers`);
  const memorization = object(p.memorization, `${where}: memorization`, bad);
  const unitmem = object(memorization.unitmem, `${where}: memorization.unitmem`, bad);
  numbers(unitmem, ['mean'], `${where}: memorization.unitmem`, bad);
  if (typeof unitmem.measured !== 'boolean') throw bad(`${where}: memorization.unitmem.measured must be true or false`);
  if (memorization.sslmem !== undefined) {
    const ssl = object(memorization.sslmem, `${where}: memorization.sslmem`, bad);
    numbers(ssl, ['candidates', 'control', 'gap'], `${where}: memorization.sslmem`, bad);
    if (!isInterval(ssl.ci95)) throw bad(`${where}: memorization.sslmem.ci95 must be [lower, upper]`);
  }
  return p as unknown as ComparePoint;
}

function checkTest(v: unknown, i: number, bad: Bad): CompareTest {
  const where = `test ${i}`;
  const t = object(v, where, bad);
  for (const k of ['a', 'b'])
    if (!STRATEGIES.includes(t[k] as string)) throw bad(`${where}: ${k} must be one of ${STRATEGIES.join(', ')}`);
  if (!METRICS.includes(t.metric as string)) throw bad(`${where}: metric must be one of ${METRICS.join(', ')}`);
  numbers(t, ['ratio', 'difference', 'pValue'], where, bad);
  if (!VERDICTS.includes(t.verdict as string)) throw bad(`${where}: verdict must be one of ${VERDICTS.join(', ')}`);
  return t as unknown as CompareTest;
}

/** Version 1 points (one per seed) pooled per cell; nothing in them was measured the version 2 way. */
function upgradeV1(points: unknown[], bad: Bad): ComparePoint[] {
  const cells = new Map<string, Json[]>();
  points.forEach((v, i) => {
    const p = object(v, `point ${i}`, bad);
    checkCell(p, `point ${i}`, bad);
    numbers(p, ['ratio', 'seed', 'accuracy', 'meanUnitMem', 'params', 'flops', 'latencyMs'], `point ${i}`, bad);
    const key = `${p.strategy}|${p.scope}|${p.ratio}`;
    cells.set(key, [...(cells.get(key) ?? []), p]);
  });
  const mean = (g: Json[], k: string) => g.reduce((a, p) => a + (p[k] as number), 0) / g.length;
  return [...cells.values()].map((g) => ({
    strategy: g[0].strategy as ComparePoint['strategy'],
    scope: g[0].scope as ComparePoint['scope'],
    ratio: g[0].ratio as number,
    seeds: g.map((p) => p.seed as number),
    accuracy: { mean: mean(g, 'accuracy'), ci95: null, perSeed: g.map((p) => p.accuracy as number) },
    memorization: { unitmem: { mean: mean(g, 'meanUnitMem'), measured: false } },
    params: mean(g, 'params'),
    flops: mean(g, 'flops'),
    latencyMs: mean(g, 'latencyMs'),
  }));
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
  if (!isJsonObject(doc) || (doc.schema !== COMPARE_SCHEMA && doc.schema !== COMPARE_V1)) {
    const found = isJsonObject(doc) && typeof doc.schema === 'string' ? `'${doc.schema}'` : 'none';
    throw bad(`not a MemLens comparison (schema ${COMPARE_SCHEMA} or ${COMPARE_V1} expected, found ${found})`);
  }
  if (!isJsonObject(doc.model) || typeof doc.model.path !== 'string') throw bad('model.path must be a string');
  if (!isJsonObject(doc.settings)) throw bad('settings must be an object');
  if (!Array.isArray(doc.points) || doc.points.length === 0) throw bad('points must be a non-empty list');
  const base = doc as unknown as CompareResult;
  if (doc.schema === COMPARE_V1) {
    return {
      ...base,
      schema: COMPARE_SCHEMA,
      settings: { ...doc.settings, upgradedFrom: COMPARE_V1 },
      points: upgradeV1(doc.points, bad),
      tests: [],
    };
  }
  if (!Array.isArray(doc.tests)) throw bad('tests must be a list');
  return {
    ...base,
    points: doc.points.map((p, i) => checkPoint(p, i, bad)),
    tests: doc.tests.map((t, i) => checkTest(t, i, bad)),
  };
}
