// `memlens convert` and `memlens inspect` on the corpus: the torch.onnx fixtures (opsets 13 and 17) and
// the demo encoders in resources/demo. Round trips are checked by onnxruntime giving bit-identical
// outputs on the demo's Fashion-MNIST images and, where Debian's python3-onnx is installed, by python
// onnx's checker (full_check).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO, memlens, ROOT } from '../support/cli.js';
import { missing, PYTHON } from '../support/references.js';

const FIX = join(ROOT, 'test', 'fixtures', 'onnx');
const CORPUS = [
  ...['cnn-opset13', 'cnn-opset17', 'vit-opset13', 'vit-opset17', 'tvvit-opset17'].map((n) => join(FIX, `${n}.onnx`)),
  // The demo encoders (scripts/make-demo-models.py).
  ...['ssl-cnn-f', 'ssl-cnn-g', 'sl-cnn', 'ssl-vit-f', 'ssl-vit-g'].map((n) => join(DEMO, `${n}.onnx`)),
];
const tmp = () => mkdtempSync(join(tmpdir(), 'memlens-onnx-cli-'));

/**
 * onnx.checker.check_model(full_check=True) in Debian's python3-onnx; "" when it passes. The model is
 * loaded first (with its external data): given a path, onnx 1.12's full check writes inferred shapes
 * back into the file.
 */
function checkModel(path: string): string {
  const code =
    'import onnx, sys\ntry:\n onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\nexcept Exception as e:\n print(e)';
  const r = spawnSync(PYTHON, ['-c', code, path], { encoding: 'utf8' });
  return (r.stdout + (r.status === 0 ? '' : r.stderr)).trim();
}

/** The first n demo test images (Fashion-MNIST), center-cropped or padded to HxW, channels replicated. */
function images(n: number, [c, h, w]: number[]): Float32Array {
  const raw = gunzipSync(readFileSync(join(DEMO, 'data', 'test-images-idx3-ubyte.gz')));
  const out = new Float32Array(n * c * h * w);
  const dy = Math.floor((28 - h) / 2);
  const dx = Math.floor((28 - w) / 2);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const [sy, sx] = [y + dy, x + dx];
          const v = sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? raw[16 + i * 784 + sy * 28 + sx] : 0;
          out[((i * c + ch) * h + y) * w + x] = (v / 255 - 0.5) / 0.5;
        }
  return out;
}

async function outputs(model: string | Uint8Array): Promise<Buffer> {
  const s =
    typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  const input = s.inputNames[0];
  const meta = s.inputMetadata[0] as { shape?: (number | string)[] };
  const chw = (meta.shape ?? []).slice(1).map(Number);
  const r = await s.run({ [input]: new ort.Tensor('float32', images(4, chw), [4, ...chw]) });
  await s.release();
  const y = r[s.outputNames[0]].data as Float32Array;
  return Buffer.from(y.buffer, y.byteOffset, y.byteLength);
}

describe.each(CORPUS.map((p) => [basename(p), p]))('%s', (_name, model) => {
  const dir = tmp();
  const out = join(dir, 'out.onnx');
  const ext = join(dir, 'ext.onnx');
  let dataPath = '';
  beforeAll(() => {
    expect(memlens(['convert', model, out]).code).toBe(0);
    const r = memlens(['convert', model, ext, '--external-data', '--json']);
    expect(r.code, r.stderr).toBe(0);
    dataPath = (JSON.parse(r.stdout) as { dataPath: string }).dataPath;
  }, 120_000);

  it('convert: gives bit-identical onnxruntime outputs', async () => {
    expect((await outputs(out)).equals(await outputs(model))).toBe(true);
  });

  it('external data: out and back in, runs identically and re-embeds to the same bytes', async () => {
    // The side file is named after its content (docs/SECURITY.md: a save never replaces the old pair's data).
    expect(dataPath).toMatch(new RegExp(`^${ext.replace(/[.]/g, '\\.')}\\.[0-9a-f]{16}\\.data$`));
    expect(existsSync(dataPath)).toBe(true);
    expect((await outputs(ext)).equals(await outputs(model))).toBe(true);
    const back = join(dir, 'back.onnx');
    expect(memlens(['convert', ext, back, '--embed']).code).toBe(0);
    expect(readFileSync(back).equals(readFileSync(model))).toBe(true);
  });

  it.skipIf(missing('onnx'))('both conversions pass the onnx checker', () => {
    expect(checkModel(out)).toBe('');
    expect(checkModel(ext)).toBe('');
  });
});

describe('inspect --json', () => {
  const inspect = (path: string) => {
    const r = memlens(['inspect', path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('the fixture CNN: conv layers in forward order with channels and activation tensors', () => {
    const doc = inspect(join(FIX, 'cnn-opset17.onnx'));
    expect(doc.schema).toBe('memlens.inspect/1');
    const convs = doc.layers.filter((l: { op: string }) => l.op === 'Conv');
    expect(convs.map((l: { units: number; tensor: string }) => [l.units, l.tensor])).toEqual([
      [8, '/Relu_output_0'],
      [8, '/block/Relu_output_0'],
      [8, '/block/conv2/Conv_output_0'],
      [12, '/Relu_1_output_0'],
      [12, '/Clip_output_0'],
    ]);
  });

  it('the fixture ViT: attention and MLP layers per block (fused qkv in block 0, q/k/v in block 1)', () => {
    const rows = inspect(join(FIX, 'vit-opset13.onnx')).layers.filter((l: { block?: number }) => l.block !== undefined);
    const attn = (b: number, n: number) => new Array(n).fill(['attention-proj', b]);
    expect(rows.map((l: { kind: string; block: number }) => [l.kind, l.block])).toEqual([
      ...attn(0, 2),
      ['sublayer-output', 0],
      ['mlp-fc1', 0],
      ['mlp-fc2', 0],
      ['sublayer-output', 0],
      ...attn(1, 4),
      ['sublayer-output', 1],
      ['mlp-fc1', 1],
      ['mlp-fc2', 1],
      ['sublayer-output', 1],
    ]);
  });

  const demo = (f: string) => join(DEMO, f);
  it('the demo ResNet9: 8 convs, widths from scripts/make-demo-models.py, ReLU outputs', () => {
    const convs = inspect(demo('ssl-cnn-f.onnx')).layers.filter((l: { kind: string }) => l.kind === 'conv');
    expect(convs.map((l: { units: number }) => l.units)).toEqual([16, 32, 32, 32, 64, 128, 128, 128]);
    for (const l of convs) expect(l.tensor).toMatch(/Relu/);
  });

  it('the demo ViT: per block qkv, proj, fc1, fc2 (dim 64, depth 3, mlp ratio 2)', () => {
    const rows = inspect(demo('ssl-vit-f.onnx')).layers.filter(
      (l: { block?: number; prunable: boolean }) => l.block !== undefined && l.prunable,
    );
    const want = [0, 1, 2].flatMap((b) => [
      ['attention-proj', 192, b],
      ['attention-proj', 64, b],
      ['mlp-fc1', 128, b],
      ['mlp-fc2', 64, b],
    ]);
    expect(rows.map((l: { kind: string; units: number; block: number }) => [l.kind, l.units, l.block])).toEqual(want);
  });
});

describe('bad input: one line naming the file, exit 1, no output left', () => {
  const dir = tmp();
  const write = (name: string, data: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  // Each bad input and the exact error the user sees (after "memlens <verb>: ").
  const cases: [string, () => string, RegExp][] = [
    ['empty file', () => write('empty.onnx', ''), /empty\.onnx: file is empty, not an ONNX model$/],
    [
      'random bytes',
      () => write('random.onnx', Buffer.from('ffffffffffffffff0102030405', 'hex')),
      /random\.onnx: not a valid ONNX model \(corrupt protobuf: .*\)$/,
    ],
    [
      'truncated model',
      () => write('truncated.onnx', readFileSync(join(FIX, 'vit-opset13.onnx')).subarray(0, 30000)),
      /truncated\.onnx: not a valid ONNX model \(truncated or corrupt protobuf: .*\)$/,
    ],
    ['directory', () => FIX, /model .*fixtures\/onnx is not a file$/],
    [
      'non-ONNX protobuf',
      () => write('entry.onnx', Buffer.from('0a0161120162', 'hex')),
      /entry\.onnx: not an ONNX model \(protobuf has no graph\)$/,
    ],
    [
      'missing external data',
      () => {
        mkdirSync(join(dir, 'ext'), { recursive: true });
        return write('ext/model.onnx', readFileSync(join(FIX, 'cnn-external', 'model.onnx')));
      },
      /model\.onnx: external data file .*ext\/weights\.bin for tensor \S+ is missing$/,
    ],
  ];
  it.each(cases)('%s', (_what, make, message) => {
    const input = make();
    for (const verb of [
      ['convert', input, join(dir, 'out.onnx')],
      ['inspect', input],
    ]) {
      const r = memlens(verb);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(new RegExp(`^memlens ${verb[0]}: (\\S*\\/)?${message.source}`));
      expect(existsSync(join(dir, 'out.onnx'))).toBe(false);
    }
  });
});
