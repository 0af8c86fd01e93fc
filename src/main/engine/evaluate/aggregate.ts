// From the sweep's runs (one encoder each) to memlens.compare/2's points and tests: runs of one
// (strategy, scope, ratio) pool into a point with bootstrap intervals, and each strategy is tested
// against random at the same cell on the same test images and points (docs/compare.md); each
// fine-tuned encoder is a point of its own, tested against the unpruned model.
import type { CompareMetric, ComparePoint, CompareTest, FinetunedRef, PruneStrategy } from '../../../shared/api.js';
import { FINETUNED, STRATEGIES, type PointStrategy } from '../../../shared/strategies.js';
import { meanUnitMem, unitMemLayers, type Memorization } from './memorization.js';
import { bootstrap, pairedRows, verdict, BOOTSTRAP, type BootstrapSettings, type Rows } from './stats.js';

/** One measured encoder of the sweep (the unpruned one: strategy 'none', ratio 0). */
export interface Run {
  strategy: PointStrategy;
  scope: 'layer' | 'global';
  ratio: number;
  seed: number;
  /** 1 per test image classified right. */
  correct: Uint8Array;
  memorization: Memorization;
  params: number;
  flops: number;
  latencyMs: number;
  /** With strategy 'finetuned': which encoder (scope 'layer', ratio 0). */
  finetuned?: FinetunedRef;
}

/** The strategy every other is tested against: the one that ranks units at random. */
export const RANDOM: PruneStrategy = STRATEGIES.find((s) => s.ranks.by === 'random')!.name;

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const accuracyOf = (c: Uint8Array) => c.reduce((a, b) => a + b, 0) / c.length;

function groups(runs: Run[]): Run[][] {
  const by = new Map<string, Run[]>();
  for (const r of runs) {
    const key = `${r.strategy}|${r.scope}|${r.ratio}|${r.finetuned?.path ?? ''}`;
    by.set(key, [...(by.get(key) ?? []), r]);
  }
  return [...by.values()];
}

const sslRows = (g: Run[], set: 'candidates' | 'control'): Rows => g.map((r) => r.memorization.sslmem![set]);

/** Memorization of one point: the runs' re-measured UnitMem pooled, and the SSLMem gap with its interval. */
export function memorizationOf(runs: Memorization[], s: BootstrapSettings = BOOTSTRAP): ComparePoint['memorization'] {
  const out: ComparePoint['memorization'] = {
    unitmem: { mean: meanUnitMem(runs), measured: true, layers: unitMemLayers(runs) },
  };
  if (runs[0].sslmem) {
    const rows = (set: 'candidates' | 'control'): Rows => runs.map((r) => r.sslmem![set]);
    const gap = bootstrap(rows('candidates'), rows('control'), s);
    const meanOf = (x: Rows) => mean(x.map((r) => mean(Array.from(r))));
    out.sslmem = {
      candidates: meanOf(rows('candidates')),
      control: meanOf(rows('control')),
      gap: gap.estimate,
      ci95: gap.ci95,
    };
  }
  return out;
}

export function comparePoints(runs: Run[], s: BootstrapSettings = BOOTSTRAP): ComparePoint[] {
  return groups(runs).map((g) => {
    const [first] = g;
    const accuracy = bootstrap(
      g.map((r) => r.correct),
      undefined,
      s,
    );
    return {
      strategy: first.strategy,
      scope: first.scope,
      ratio: first.ratio,
      seeds: g.map((r) => r.seed),
      accuracy: { mean: accuracy.estimate, ci95: accuracy.ci95, perSeed: g.map((r) => accuracyOf(r.correct)) },
      memorization: memorizationOf(
        g.map((r) => r.memorization),
        s,
      ),
      ...(first.finetuned ? { finetuned: first.finetuned } : {}),
      params: mean(g.map((r) => r.params)),
      flops: mean(g.map((r) => r.flops)),
      latencyMs: mean(g.map((r) => r.latencyMs)),
    };
  });
}

/**
 * Each strategy against random at every cell where both ran, each fine-tuned encoder against the
 * unpruned model: accuracy and, with a reference, the SSLMem gap.
 */
export function compareTests(runs: Run[], s: BootstrapSettings = BOOTSTRAP): CompareTest[] {
  const all = groups(runs);
  const tests: CompareTest[] = [];
  for (const g of all) {
    const [a] = g;
    if (a.strategy === 'none' || a.strategy === RANDOM) continue;
    const against = all.find((r) =>
      a.strategy === FINETUNED
        ? r[0].strategy === 'none'
        : r[0].strategy === RANDOM && r[0].scope === a.scope && r[0].ratio === a.ratio,
    );
    if (!against) continue;
    const test = (metric: CompareMetric, e: ReturnType<typeof bootstrap>): CompareTest => ({
      a: a.strategy,
      b: against[0].strategy,
      ...(a.finetuned ? { finetuned: a.finetuned.path } : {}),
      scope: a.scope,
      ratio: a.ratio,
      metric,
      difference: e.estimate,
      ci95: e.ci95,
      pValue: e.pValue,
      verdict: verdict(e),
    });
    tests.push(
      test(
        'accuracy',
        bootstrap(
          pairedRows(
            g.map((r) => r.correct),
            against.map((r) => r.correct),
          ),
          undefined,
          s,
        ),
      ),
    );
    if (a.memorization.sslmem) {
      const paired = (set: 'candidates' | 'control') => pairedRows(sslRows(g, set), sslRows(against, set));
      tests.push(test('sslmemGap', bootstrap(paired('candidates'), paired('control'), s)));
    }
  }
  return tests;
}
