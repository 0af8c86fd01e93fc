import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PruneResult } from '../../src/shared/api.js';
import { memlens } from '../support/cli.js';
import { missing, PYTHON } from '../support/references.js';
import { fixture, handScores } from '../unit/prune/support.js';

// Corpus of bad inputs: each must exit 1 with this one-line reason and leave the folder as it was.
const BAD: { what: string; args: (d: Dirs) => string[]; error: RegExp }[] = [
  {
    what: 'scores made for another model',
    args: (d) => [d.model, '--scores', d.otherScores],
    error: /scores .* were computed for model sha256 \w+…, not .*cnn\.onnx/,
  },
  {
    what: 'ratio 1',
    args: (d) => [d.model, '--scores', d.scores, '--ratio', '1'],
    error: /ratio 1 is outside \[0, 1\)/,
  },
  {
    what: 'negative ratio',
    args: (d) => [d.model, '--scores', d.scores, '--ratio', '-0.1'],
    error: /ratio -0.1 is outside \[0, 1\)/,
  },
  {
    what: 'unknown included layer',
    args: (d) => [d.model, '--scores', d.scores, '--include', 'conv9'],
    error: /unknown layer name\(s\) in include: conv9/,
  },
  {
    what: 'unknown excluded layer',
    args: (d) => [d.model, '--scores', d.scores, '--exclude', '/head/Gemm,nope'],
    error: /unknown layer name\(s\) in exclude: nope/,
  },
  {
    what: 'output path = input',
    args: (d) => [d.model, '--scores', d.scores, '--out', d.model],
    error: /output path .*cnn\.onnx is the input model/,
  },
  { what: 'high without scores', args: (d) => [d.model], error: /strategy high needs UnitMem scores/ },
];

interface Dirs {
  dir: string;
  model: string;
  scores: string;
  otherScores: string;
}

describe('memlens prune', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memlens-prune-cli-'));
  const d: Dirs = {
    dir,
    model: join(dir, 'cnn.onnx'),
    scores: join(dir, 'cnn.unitmem.json'),
    otherScores: join(dir, 'vit.unitmem.json'),
  };

  beforeAll(async () => {
    copyFileSync(fixture('cnn'), d.model);
    const layers = [4, 6, 6, 6, 8, 5];
    const names = [
      '/prep/prep.0/Conv',
      '/layer1/layer1.0/Conv',
      '/res1/res1.0/res1.0.0/Conv',
      '/res1/res1.1/res1.1.0/Conv',
      '/layer2/layer2.0/Conv',
      '/head/Gemm',
    ];
    writeFileSync(
      d.scores,
      JSON.stringify(
        await handScores(
          d.model,
          names.map((name, i) => ({ name, units: layers[i] })),
        ),
      ),
    );
    // Same layers, but hashed from another model file: must be refused.
    writeFileSync(
      d.otherScores,
      JSON.stringify(
        await handScores(
          fixture('vit'),
          names.map((name, i) => ({ name, units: layers[i] })),
        ),
      ),
    );
  });

  it('writes the pruned model and its result document', () => {
    const out = join(dir, 'p.onnx');
    const r = memlens([
      'prune',
      d.model,
      '--scores',
      d.scores,
      '--strategy',
      'high',
      '--ratio',
      '0.5',
      '--scope',
      'layer',
      '--out',
      out,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Per layer: units, selected (floor(0.5 * units)), cut, masked; by default every selected unit is cut.
    expect(r.stdout).toMatch(/^\/prep\/prep\.0\/Conv\s+4\s+2\s+2\s+0$/m);
    expect(r.stdout).toMatch(/^\/head\/Gemm\s+5\s+2\s+2\s+0$/m);
    expect(r.stdout).toContain(
      'NOTE: the model output embedding loses 2 of its 5 channels: the embedding dimension changes (keep output masks them instead)\n',
    );
    expect(r.stdout).toMatch(/^params {2}1,407 -> \d[\d,]* \(-\d+\.\d%\)$/m);
    expect(r.stdout).toMatch(/^bytes {3}[\d,]+ -> [\d,]+ \(-\d+\.\d%\)$/m);
    const doc = JSON.parse(readFileSync(join(dir, 'p.prune.json'), 'utf8')) as PruneResult;
    expect(doc.schema).toBe('memlens.prune/1');
    expect(doc.out).toBe(out);
  });

  it.skipIf(missing('onnx'))('python onnx reads the provenance in metadata_props of the written model', () => {
    const out = join(dir, 'p.onnx');
    const doc = JSON.parse(readFileSync(join(dir, 'p.prune.json'), 'utf8')) as PruneResult;
    const meta = JSON.parse(
      execFileSync(
        PYTHON,
        [
          '-c',
          'import onnx,sys,json; print(json.dumps({p.key: p.value for p in onnx.load(sys.argv[1]).metadata_props}))',
          out,
        ],
        { encoding: 'utf8' },
      ),
    );
    const sha = doc.model.sha256;
    expect(meta).toMatchObject({
      'memlens.source_sha256': sha,
      'memlens.prune.strategy': 'high',
      'memlens.prune.scope': 'layer',
      'memlens.prune.ratio': '0.5',
      'memlens.prune.mode': 'structural',
      'memlens.prune.seed': '0',
      'memlens.unitmem.sha256': execFileSync('sha256sum', [d.scores], { encoding: 'utf8' }).split(' ')[0],
      'memlens.version': '0.1.0',
    });
    expect(JSON.parse(meta['memlens.prune.removed'])).toEqual(doc.removed);
    expect(JSON.parse(meta['memlens.unitmem.settings'])).toEqual({
      views: 10,
      rest: 'mean',
      augment: 'simclr',
      seed: 0,
    });
  });

  it('--keep-output masks the channels that reach the output and says why; a cut that leaves nothing is announced', () => {
    const r = memlens([
      'prune',
      d.model,
      '--scores',
      d.scores,
      '--strategy',
      'high',
      '--ratio',
      '0.5',
      '--scope',
      'layer',
      '--keep-output',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\/head\/Gemm\s+5\s+2\s+0\s+2$/m);
    expect(r.stdout).toMatch(
      /^\s+2\s+\/head\/Gemm\s+feeds the model output embedding, whose dimension was asked to stay \(keep output\)$/m,
    );
    const none = memlens([
      'prune',
      d.model,
      '--scores',
      d.scores,
      '--strategy',
      'high',
      '--ratio',
      '0.5',
      '--scope',
      'layer',
      '--include',
      '/head/Gemm',
      '--keep-output',
    ]);
    expect(none.stdout).toContain(
      'NOTE: structural pruning cut nothing: all 2 selected units were masked (zeroed), so the model keeps its size; the groups say why\n',
    );
  });

  it('--json prints the result document; without --out nothing is written (preview)', () => {
    const before = readdirSync(dir).sort();
    const r = memlens([
      'prune',
      d.model,
      '--strategy',
      'l1',
      '--ratio',
      '0.3',
      '--scope',
      'global',
      '--mode',
      'mask',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as PruneResult;
    expect(doc.settings).toMatchObject({ strategy: 'l1', scope: 'global', ratio: 0.3, mode: 'mask' });
    expect(doc.params.after).toBe(doc.params.before);
    expect(doc.out).toBeUndefined();
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('--attention picks what attention layers lose; an unknown value is a usage error (exit 2, nothing written)', () => {
    const vit = ['prune', fixture('vit'), '--strategy', 'l1', '--ratio', '0.5', '--scope', 'layer', '--json'];
    for (const [attention, note] of [
      ['dims', 'loses 4 of the 8 head dimensions in each of its 2 heads'],
      ['heads', 'loses 1 of the 2 attention heads'],
    ]) {
      const r = memlens([...vit, '--attention', attention, '--embedding-width']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as PruneResult;
      expect(doc.settings).toMatchObject({ attention, embeddingWidth: true });
      expect(doc.notes).toContain(`/blocks/blocks.0/attn/qkv/MatMul ${note}`);
    }
    const before = readdirSync(dir).sort();
    const bad = memlens([...vit, '--attention', 'rows', '--out', join(dir, 'rows.onnx')]);
    expect(bad.code).toBe(2);
    // A usage error: the reason on one line, then the verb's usage.
    expect(bad.stderr.split('\n')[0]).toBe("memlens prune: --attention expects dims|heads, got 'rows'");
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  for (const bad of BAD) {
    it(`bad input: ${bad.what} -> exit 1, one line, nothing written`, () => {
      const before = readdirSync(dir).sort();
      const args = bad.args(d);
      const withDefaults = [...args];
      for (const [k, v] of [
        ['--strategy', 'high'],
        ['--ratio', '0.3'],
        ['--scope', 'layer'],
        ['--out', join(dir, 'bad.onnx')],
      ]) {
        if (!withDefaults.includes(k)) withDefaults.push(k, v);
      }
      const r = memlens(['prune', ...withDefaults]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(bad.error);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(readdirSync(dir).sort()).toEqual(before);
    });
  }

  it('usage errors exit 2', () => {
    expect(memlens(['prune', d.model, '--ratio', '0.3', '--scope', 'layer']).code).toBe(2);
    expect(memlens(['prune', d.model, '--strategy', 'big', '--ratio', '0.3', '--scope', 'layer']).code).toBe(2);
    expect(
      memlens(['prune', d.model, '--strategy', 'l1', '--ratio', '0.3', '--scope', 'layer', '--frob', '1']).code,
    ).toBe(2);
  });
});
