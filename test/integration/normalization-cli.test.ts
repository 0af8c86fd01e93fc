// The normalization every data-reading verb used is said in its summary and recorded in its result
// (issue #20): a wrong one silently changes every number, and the 0.5/0.5 fallback used to be silent.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO, memlens } from '../support/cli.js';

const data = (split: string) => join(DEMO, 'data', `${split}-images-idx3-ubyte.gz`);
const unitmem = (model: string, ...extra: string[]) =>
  memlens(['unitmem', model, '--data', data('candidates'), '--limit', '20', '--views', '2', ...extra]);
const lastLine = (s: string) => s.trimEnd().split('\n').pop();

describe('normalization in summaries and results', () => {
  it('the project file beside the model gives it, and the summary says so', () => {
    const r = unitmem(join(DEMO, 'ssl-cnn-f.onnx'));
    expect(r.code, r.stderr).toBe(0);
    // resources/demo/project.memlens.json: mean [0.286], std [0.353]
    expect(lastLine(r.stdout)).toBe('normalization mean 0.286 std 0.353 (from project.memlens.json beside the model)');
  });

  it('without options or a project the 0.5/0.5 default is named as the default, in the summary and the document', () => {
    const model = join(mkdtempSync(join(tmpdir(), 'memlens-norm-')), 'encoder.onnx');
    copyFileSync(join(DEMO, 'ssl-cnn-f.onnx'), model);
    const r = unitmem(model);
    expect(r.code, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe(
      'normalization mean 0.5 std 0.5 (DEFAULT: none given and no project.memlens.json beside the model; pass the one the encoder was trained with)',
    );
    const doc = JSON.parse(unitmem(model, '--json').stdout);
    expect([doc.settings.mean, doc.settings.std, doc.settings.normalizationFrom]).toEqual([[0.5], [0.5], 'default']);
  });

  it('--mean/--std win over the project and are recorded as given', () => {
    const r = unitmem(join(DEMO, 'ssl-cnn-f.onnx'), '--mean', '0.2', '--std', '0.4', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout).settings;
    expect([s.mean, s.std, s.normalizationFrom]).toEqual([[0.2], [0.4], 'request']);
  });

  it('evaluate records where its normalization came from too', () => {
    const r = memlens([
      'evaluate',
      join(DEMO, 'ssl-cnn-f.onnx'),
      '--train',
      data('train'),
      '--test',
      data('test'),
      '--limit',
      '200',
      '--probe',
      'knn',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe('normalization mean 0.286 std 0.353 (from project.memlens.json beside the model)');
  });

  it('--mean without --std is refused: it would mix given values with the fallback', () => {
    const r = unitmem(join(DEMO, 'ssl-cnn-f.onnx'), '--mean', '0.2');
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([
      2,
      'memlens unitmem: --mean and --std go together (one value per channel, or one for all)',
    ]);
  });
});
