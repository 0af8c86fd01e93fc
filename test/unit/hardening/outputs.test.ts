// Issue 17, item 7: multi-file outputs are one unit. A real SIGKILL at each rename of a run that
// replaces an existing output (test/support/kill-at-rename.mjs) must leave the old unit or the new
// one: a document that describes the files beside it, or no document, never an old document beside
// new files. A later run then completes and leaves no temp file behind.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../../src/main/engine/onnx/index.js';
import { DEMO, ROOT } from '../../support/cli.js';

const MODEL = join(DEMO, 'ssl-cnn-f.onnx');
const tmp = () => mkdtempSync(join(tmpdir(), 'memlens-outputs-'));
const TEMP = /\.tmp$/;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** The built CLI, killed by SIGKILL before the rename `env` names (kill-at-rename.mjs); 120 s at most. */
function memlensKilled(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(
    process.execPath,
    ['--import', join(ROOT, 'test', 'support', 'kill-at-rename.mjs'), join(ROOT, 'bin', 'memlens.js'), ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((ok) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ok({ code, signal, stderr });
    }),
  );
}

const pruneArgs = (out: string, ratio: number) => [
  'prune',
  MODEL,
  '--strategy',
  'random',
  '--ratio',
  String(ratio),
  '--scope',
  'layer',
  '--out',
  out,
];

/** The prune ratio a model's own metadata records. */
const modelRatio = (path: string) =>
  decodeModel(readFileSync(path)).metadata_props.find((p) => p.key === 'memlens.prune.ratio')?.value;

describe('prune: the model and its document are one unit', () => {
  it('a kill at every rename leaves the old unit, the new unit, or a model without a document', async () => {
    const old = tmp();
    expect((await memlensKilled(pruneArgs(join(old, 'p.onnx'), 0.1))).code).toBe(0);
    const outcomes = new Set<string>();
    for (let n = 1; n < 20; n++) {
      const dir = tmp();
      cpSync(old, dir, { recursive: true });
      const out = join(dir, 'p.onnx');
      const run = await memlensKilled(pruneArgs(out, 0.3), { MEMLENS_KILL_AT_RENAME: String(n) });
      const doc = join(dir, 'p.prune.json');
      if (run.signal !== 'SIGKILL') {
        // Past the last rename: the run finished, with the new unit.
        expect(run.code, run.stderr).toBe(0);
        expect(modelRatio(out)).toBe('0.3');
        break;
      }
      expect(run.stderr).toMatch(new RegExp(`@killed-at-rename ${n}: `));
      expect(existsSync(out)).toBe(true);
      if (existsSync(doc)) {
        const d = JSON.parse(readFileSync(doc, 'utf8'));
        expect(d.provenance['memlens.prune.ratio']).toBe(modelRatio(out));
        expect(d.bytes.after).toBe(statSync(out).size);
        outcomes.add(`document of ${d.settings.ratio}`);
      } else outcomes.add(`model of ${modelRatio(out)} alone`);

      // The next run trips over nothing and removes what the killed one left.
      expect((await memlensKilled(pruneArgs(out, 0.3))).code).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(['p.onnx', 'p.prune.json']);
      expect(JSON.parse(readFileSync(doc, 'utf8')).settings.ratio).toBe(0.3);
    }
    // Kills before the model's rename keep the old model; after it, the new one (never with the old document).
    expect([...outcomes].sort()).toEqual(['document of 0.1', 'model of 0.1 alone', 'model of 0.3 alone']);
  }, 300_000);
});

describe('compare --out: the models and compare.json are one unit', () => {
  const data = (name: string) => join(DEMO, 'data', `${name}-images-idx3-ubyte.gz`);
  const compareArgs = (out: string, ratio: number) => [
    'compare',
    MODEL,
    ...Object.entries({ data: 'candidates', train: 'train', test: 'test' }).flatMap(([o, set]) => [
      `--${o}`,
      data(set),
    ]),
    '--strategies',
    'random',
    '--ratios',
    String(ratio),
    '--seeds',
    '0',
    '--views',
    '2',
    '--limit',
    '64',
    '--out',
    out,
  ];
  /** The pruned models compare.json's points name, and those in models/. */
  const unit = (out: string) => ({
    points: (
      JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')).points as { strategy: string; ratio: number }[]
    )
      .filter((p) => p.strategy !== 'none')
      .map((p) => `random-layer-${p.ratio}-seed0.onnx`),
    models: readdirSync(join(out, 'models')).filter((f) => f.endsWith('.onnx')),
  });

  it('a kill while the new sweep moves in leaves no compare.json beside the new models', async () => {
    const out = join(tmp(), 'sweep');
    expect((await memlensKilled(compareArgs(out, 0.1))).code).toBe(0);
    expect(unit(out)).toEqual({ points: ['random-layer-0.1-seed0.onnx'], models: ['random-layer-0.1-seed0.onnx'] });

    // Killed as the pruned model of the new sweep is written: the old unit stands as it was.
    let run = await memlensKilled(compareArgs(out, 0.3), { MEMLENS_KILL_AT_RENAME_TO: 'random-layer-0.3-seed0.onnx' });
    expect(run.signal).toBe('SIGKILL');
    expect(unit(out)).toEqual({ points: ['random-layer-0.1-seed0.onnx'], models: ['random-layer-0.1-seed0.onnx'] });

    // Killed as compare.json is written: the new models are in, and no document claims them.
    run = await memlensKilled(compareArgs(out, 0.3), { MEMLENS_KILL_AT_RENAME_TO: '/compare.json' });
    expect(run.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'compare.json'))).toBe(false);
    expect(readdirSync(join(out, 'models')).filter((f) => f.endsWith('.onnx'))).toEqual([
      'random-layer-0.3-seed0.onnx',
    ]);

    // A later sweep completes and removes every staged folder and temp file the killed ones left.
    expect((await memlensKilled(compareArgs(out, 0.3))).code).toBe(0);
    expect(unit(out)).toEqual({ points: ['random-layer-0.3-seed0.onnx'], models: ['random-layer-0.3-seed0.onnx'] });
    expect(readdirSync(out).filter((f) => TEMP.test(f))).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['compare.csv', 'compare.json', 'models', 'report.html']);
  }, 300_000);
});
