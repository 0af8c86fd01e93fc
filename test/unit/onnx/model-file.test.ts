// loadModel / saveModel / codec on the torch.onnx fixtures (scripts/make-onnx-fixtures.py).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemLensError } from '../../../src/main/engine/errors.js';
import {
  decodeModel,
  encodeModel,
  loadModel,
  saveModel,
  tensorToFloat32,
  DataLocation,
} from '../../../src/main/engine/onnx/index.js';

const FIX = join(__dirname, '..', '..', 'fixtures', 'onnx');
const tmp = () => mkdtempSync(join(tmpdir(), 'memlens-onnx-'));

async function failure(p: Promise<unknown>): Promise<MemLensError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MemLensError);
  return e as MemLensError;
}

describe('codec', () => {
  it.each(['cnn-opset13', 'cnn-opset17', 'vit-opset13', 'vit-opset17', 'tvvit-opset13', 'tvvit-opset17'])(
    '%s re-encodes to the same bytes',
    (name) => {
      // torch.onnx writes fields in schema order, so a lossless codec reproduces the file exactly.
      const bytes = readFileSync(join(FIX, `${name}.onnx`));
      expect(Buffer.compare(Buffer.from(encodeModel(decodeModel(bytes))), bytes)).toBe(0);
    },
  );

  it('keeps unknown fields, including unknown fields of nested messages', () => {
    const bytes = readFileSync(join(FIX, 'cnn-opset13.onnx'));
    // ModelProto field 99 (varint 7) and NodeProto field 99 (string "x"), appended by hand.
    const proto = decodeModel(bytes);
    const node = proto.graph!.node[0] as unknown as { $unknowns?: Uint8Array[] };
    node.$unknowns = [Uint8Array.from([0x9a, 0x06, 0x01, 0x78])];
    const withNode = encodeModel(proto);
    const extended = Buffer.concat([Buffer.from(withNode), Buffer.from([0x98, 0x06, 0x07])]);
    const again = encodeModel(decodeModel(extended));
    expect(Buffer.compare(Buffer.from(again), extended)).toBe(0);
    expect(again.length).toBe(bytes.length + 4 + 3);
  });

  it('keeps int64 values beyond 2^53 exact (INT64_MAX)', () => {
    const proto = decodeModel(readFileSync(join(FIX, 'cnn-opset13.onnx')));
    const a = proto.graph!.node.find((n) => n.op_type === 'MaxPool')!.attribute[0];
    a.ints = [9223372036854775807n, -9223372036854775808n, 3];
    const back = decodeModel(encodeModel(proto)).graph!.node.find((n) => n.op_type === 'MaxPool')!.attribute[0];
    expect(back.ints).toEqual([9223372036854775807n, -9223372036854775808n, 3]);
  });
});

describe('loadModel', () => {
  it('loads a model with its sha256 and zero-copy float weights', async () => {
    const m = await loadModel(join(FIX, 'cnn-opset13.onnx'));
    expect(m.proto.ir_version).toBe(7);
    expect(m.proto.opset_import[0].version).toBe(13);
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
    const fc = m.proto.graph!.initializer.find((t) => t.name === 'fc.weight')!;
    expect(fc.dims).toEqual([10, 12]);
    expect(tensorToFloat32(fc).length).toBe(120);
  });

  it('reads external data written by python onnx and matches the embedded weights', async () => {
    const ext = await loadModel(join(FIX, 'cnn-external', 'model.onnx'));
    const emb = await loadModel(join(FIX, 'cnn-opset13.onnx'));
    expect(ext.externalData).toEqual([join(FIX, 'cnn-external', 'weights.bin')]);
    for (const t of emb.proto.graph!.initializer) {
      const u = ext.proto.graph!.initializer.find((x) => x.name === t.name)!;
      expect(u.data_location).toBe(DataLocation.DEFAULT);
      expect(Buffer.compare(Buffer.from(u.raw_data), Buffer.from(t.raw_data))).toBe(0);
    }
  });

  const bad: [string, (dir: string) => string, RegExp][] = [
    ['an empty file', (d) => (writeFileSync(join(d, 'e.onnx'), ''), join(d, 'e.onnx')), /e\.onnx: file is empty/],
    [
      'random bytes',
      (d) => (writeFileSync(join(d, 'r.onnx'), Buffer.from('ffffffffffffffff0102030405', 'hex')), join(d, 'r.onnx')),
      /r\.onnx: not a valid ONNX model/,
    ],
    [
      'a truncated model',
      (d) => (
        writeFileSync(join(d, 't.onnx'), readFileSync(join(FIX, 'vit-opset13.onnx')).subarray(0, 30000)),
        join(d, 't.onnx')
      ),
      /t\.onnx: not a valid ONNX model \(truncated/,
    ],
    ['a directory', (d) => d, /is not a file/],
    ['a missing file', (d) => join(d, 'nope.onnx'), /nope\.onnx does not exist/],
    // A protobuf that is not a model: a StringStringEntryProto (key "a", value "b").
    [
      'a non-ONNX protobuf',
      (d) => (writeFileSync(join(d, 'p.onnx'), Buffer.from('0a0161120162', 'hex')), join(d, 'p.onnx')),
      /p\.onnx: not an ONNX model/,
    ],
    [
      'a missing external data file',
      (d) => {
        mkdirSync(join(d, 'x'));
        writeFileSync(join(d, 'x', 'model.onnx'), readFileSync(join(FIX, 'cnn-external', 'model.onnx')));
        return join(d, 'x', 'model.onnx');
      },
      /model\.onnx: external data file .*weights\.bin for tensor .* is missing/,
    ],
  ];
  it('rejects external data outside the model folder and side files too short for a tensor', async () => {
    const dir = tmp();
    const proto = decodeModel(readFileSync(join(FIX, 'cnn-external', 'model.onnx')));
    for (const t of proto.graph!.initializer)
      for (const e of t.external_data) if (e.key === 'location') e.value = '../weights.bin';
    writeFileSync(join(dir, 'escape.onnx'), encodeModel(proto));
    expect((await failure(loadModel(join(dir, 'escape.onnx')))).message).toMatch(
      /escape\.onnx: tensor .* has external data outside the model folder \(\.\.\/weights\.bin\)/,
    );
    writeFileSync(join(dir, 'short.onnx'), readFileSync(join(FIX, 'cnn-external', 'model.onnx')));
    writeFileSync(join(dir, 'weights.bin'), readFileSync(join(FIX, 'cnn-external', 'weights.bin')).subarray(0, 100));
    expect((await failure(loadModel(join(dir, 'short.onnx')))).message).toMatch(
      /short\.onnx: tensor .* needs bytes \d+\.\.\d+ of .*weights\.bin, which has 100/,
    );
  });

  it.each(bad)('rejects %s with a one-line error naming the file', async (_what, make, message) => {
    const path = make(tmp());
    const e = await failure(loadModel(path));
    expect(e.message).toMatch(message);
    expect(e.message).toContain(path.split('/').pop()!);
    expect(e.message).not.toContain('\n');
  });
});

describe('saveModel', () => {
  it('embeds and externalizes; both load back to the same weights', async () => {
    const dir = tmp();
    const m = await loadModel(join(FIX, 'vit-opset17.onnx'));
    const saved = await saveModel(m.proto, join(dir, 'ext.onnx'), { externalData: true, source: m });
    // The side file is named after its content (saveModel: a new save never replaces the old pair's data).
    expect(saved.dataPath).toMatch(new RegExp(`^${dir}/ext\\.onnx\\.[0-9a-f]{16}\\.data$`));
    // Initializers of 1 KiB and more moved out, page-aligned; smaller ones stay embedded.
    const written = decodeModel(readFileSync(join(dir, 'ext.onnx')));
    let moved = 0;
    for (const t of written.graph!.initializer) {
      const big = m.proto.graph!.initializer.find((x) => x.name === t.name)!.raw_data.byteLength >= 1024;
      expect(t.data_location).toBe(big ? DataLocation.EXTERNAL : DataLocation.DEFAULT);
      if (big) expect(Number(t.external_data.find((e) => e.key === 'offset')!.value) % 4096).toBe(0);
      moved += big ? 1 : 0;
    }
    expect(moved).toBeGreaterThan(5);
    const back = await loadModel(join(dir, 'ext.onnx'));
    await saveModel(back.proto, join(dir, 'emb.onnx'), { source: back });
    // Same bytes as the original: externalizing and embedding again is lossless.
    expect(Buffer.compare(readFileSync(join(dir, 'emb.onnx')), readFileSync(join(FIX, 'vit-opset17.onnx')))).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['emb.onnx', 'ext.onnx', basename(saved.dataPath!)]);
  });

  it('writes no model onnxruntime refuses, embedded or with external data; an existing pair stays', async () => {
    const m = await loadModel(join(FIX, 'cnn-opset13.onnx'));
    const dir = tmp();
    const out = join(dir, 'out.onnx');
    const first = await saveModel(m.proto, out, { externalData: true });
    const before = readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]);
    // An op onnxruntime does not know, which only onnxruntime notices; the weights change too, so the
    // refused save's side file gets a name of its own and must be removed again.
    const relu = m.proto.graph!.node.findIndex((n) => n.op_type === 'Relu');
    expect(relu).toBeGreaterThanOrEqual(0);
    const w = m.proto.graph!.initializer.find((t) => t.raw_data.byteLength >= 1024)!;
    const odd = {
      ...m.proto,
      graph: {
        ...m.proto.graph!,
        node: m.proto.graph!.node.map((n, i) => (i === relu ? { ...n, op_type: 'Relv' } : n)),
        initializer: m.proto.graph!.initializer.map((t) =>
          t === w ? { ...t, raw_data: t.raw_data.map((b) => b ^ 1) } : t,
        ),
      },
    } as typeof m.proto;
    for (const [target, externalData] of [
      [out, true],
      [out, false],
      [join(dir, 'new.onnx'), true],
      [join(dir, 'new.onnx'), false],
    ] as const) {
      const e = await failure(saveModel(odd, target, { externalData }));
      expect([e.code, e.message]).toEqual([
        'BAD_MODEL',
        expect.stringMatching(new RegExp(`^cannot save ${target}: onnxruntime refuses the model: [^\\n]*Relv`)),
      ]);
      expect(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))])).toEqual(before);
    }
    expect(before.map(([f]) => f)).toEqual(['out.onnx', basename(first.dataPath!)].sort());
  });

  it('refuses to write over the source model', async () => {
    const m = await loadModel(join(FIX, 'cnn-opset13.onnx'));
    const e = await failure(saveModel(m.proto, m.path, { source: m }));
    expect(e.code).toBe('BAD_INPUT');
  });

  it('creates a missing output folder; a path through a file fails in one line and leaves nothing behind', async () => {
    const m = await loadModel(join(FIX, 'cnn-opset13.onnx'));
    const dir = tmp();
    const nested = join(dir, 'no', 'such', 'dir', 'out.onnx');
    await saveModel(m.proto, nested);
    expect(Buffer.compare(readFileSync(nested), readFileSync(m.path))).toBe(0);
    writeFileSync(join(dir, 'file'), 'x');
    const through = join(dir, 'file', 'out.onnx');
    expect((await failure(saveModel(m.proto, through))).message).toBe(
      `cannot write ${through}: a part of its path is a file, not a folder`,
    );
    expect(readdirSync(dir).sort()).toEqual(['file', 'no']);
  });

  it('replaces an externalized model as a pair: the old side file stays until the new model is in place', async () => {
    const m = await loadModel(join(FIX, 'vit-opset17.onnx'));
    const dir = tmp();
    const out = join(dir, 'ext.onnx');
    const first = await saveModel(m.proto, out, { externalData: true });
    const oldModel = readFileSync(out);
    const oldData = readFileSync(first.dataPath!);
    // The model's rename fails (a folder is in the way): the old pair is untouched, the new data removed.
    const blocked = join(dir, 'blocked.onnx');
    mkdirSync(blocked);
    await failure(saveModel(m.proto, blocked, { externalData: true }));
    expect(readdirSync(dir).sort()).toEqual(['blocked.onnx', 'ext.onnx', basename(first.dataPath!)]);
    // New weights: a new side file, the old one removed only after the model points at the new one.
    const w = m.proto.graph!.initializer.find((t) => t.raw_data.byteLength >= 1024)!;
    const changed = Uint8Array.from(w.raw_data);
    changed[0] ^= 0xff;
    const proto = {
      ...m.proto,
      graph: {
        ...m.proto.graph!,
        initializer: m.proto.graph!.initializer.map((t) => (t === w ? { ...t, raw_data: changed } : t)),
      },
    };
    const second = await saveModel(proto as typeof m.proto, out, { externalData: true });
    expect(second.dataPath).not.toBe(first.dataPath);
    expect(readdirSync(dir).sort()).toEqual(['blocked.onnx', 'ext.onnx', basename(second.dataPath!)]);
    expect(Buffer.compare(readFileSync(out), oldModel)).not.toBe(0);
    expect(oldData.length).toBeGreaterThan(0);
    const back = await loadModel(out);
    expect(back.proto.graph!.initializer.find((t) => t.name === w.name)!.raw_data[0]).toBe(changed[0]);
  });
});
