// The regression corpus of issue 17: one case per defect the audit reproduced, each with its hostile
// input made here (nothing is checked in), asserting the exact one-line refusal (or the safe
// outcome), a bounded time and peak memory, and that nothing the user owns changed. The Electron
// cases (item 10) need the glue without Electron: test/unit/app/worker-protocol.test.ts and
// protocol.test.ts.
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/main/engine/files.js';
import { computeUnitMem } from '../../../src/main/engine/metrics/unitmem-job.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../../src/main/engine/onnx/index.js';
import { cacheDir } from '../../../src/main/engine/project/cache.js';
import { memlensBounded, type BoundedRun } from '../../support/bounded.js';
import { classFolders } from '../../support/class-folders.js';
import { DEMO } from '../../support/cli.js';
import { within } from '../../support/wait.js';

const MODEL = join(DEMO, 'ssl-cnn-f.onnx');
const GB = 1024 ** 3;
const tmp = () => mkdtempSync(join(tmpdir(), 'memlens-harden-'));
/** stderr without the notes a run prints as it starts (the batch it picked, where views are cut). */
const withoutNotes = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => !/^(batch \d+ images|views cut) /.test(l))
    .join('\n');

/** Names and sha256 of every file below `dir`: what "nothing the user owns changed" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isFile()) out[p.slice(dir.length)] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}

/** A refused run: exit 1, exactly one line on stderr, within `ms` and `bytes` of peak memory. */
function expectRefused(r: BoundedRun, line: string, ms = 30_000, bytes = GB) {
  expect(r.stderr).toBe(`${line}\n`);
  expect([r.code, r.signal]).toEqual([1, null]);
  expect(r.ms).toBeLessThan(ms);
  expect(r.maxRss).toBeLessThan(bytes);
}

/** The demo CNN with its first Conv weight's dims replaced (the data left as it is). */
function withWeightDims(dims: number[]): { bytes: Uint8Array; weight: string } {
  const proto = decodeModel(readFileSync(MODEL));
  const conv = proto.graph!.node.find((n) => n.op_type === 'Conv')!;
  const weight = proto.graph!.initializer.find((t) => t.name === conv.input[1])!;
  weight.dims = dims;
  return { bytes: encodeModel(proto), weight: weight.name };
}

// Each case runs the CLI a few times; on a busy 2-core CI machine that can take a while.
describe('issue 17: hostile models, folders and pages', { timeout: 120_000 }, () => {
  it('1. initializer dims the data does not back are refused at load, naming the limit to raise', async () => {
    const dir = tmp();
    const huge = withWeightDims([1e9, 1, 3, 3]);
    writeFileSync(join(dir, 'huge.onnx'), huge.bytes);
    const before = snapshot(dir);
    const args = (m: string) => [
      'prune',
      join(dir, m),
      '--strategy',
      'l1',
      '--ratio',
      '0.2',
      '--scope',
      'global',
      '--out',
      join(dir, 'out.onnx'),
    ];
    expectRefused(
      await memlensBounded(args('huge.onnx')),
      `memlens prune: ${join(dir, 'huge.onnx')}: tensor '${huge.weight}' declares dims [1000000000, 1, 3, 3] (36000000000 bytes), over the limit of 4294967296 bytes (raise it with MEMLENS_MAX_TENSOR_BYTES)`,
    );
    // Under the limit the dims must still match the data.
    expectRefused(
      await memlensBounded(args('huge.onnx'), { env: { MEMLENS_MAX_TENSOR_BYTES: String(64 * GB) } }),
      `memlens prune: ${join(dir, 'huge.onnx')}: tensor '${huge.weight}' declares dims [1000000000, 1, 3, 3] (36000000000 bytes) but holds 576 bytes`,
    );
    const negative = withWeightDims([-64, 1, 3, 3]);
    writeFileSync(join(dir, 'negative.onnx'), negative.bytes);
    expectRefused(
      await memlensBounded(['inspect', join(dir, 'negative.onnx')]),
      `memlens inspect: ${join(dir, 'negative.onnx')}: tensor '${negative.weight}' has a negative dim in [-64, 1, 3, 3]`,
    );
    expect(snapshot(dir)).toEqual({ ...before, '/negative.onnx': snapshot(dir)['/negative.onnx'] });
  });

  it('2. links to /dev/zero and to a FIFO in an image folder are skipped at once, not read', async () => {
    const dir = tmp();
    const data = await classFolders(join(dir, 'data'), { a: 3, b: 3 });
    symlinkSync('/dev/zero', join(data, 'a', 'zero.png'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    symlinkSync(join(dir, 'fifo'), join(data, 'b', 'fifo.png'));
    const before = snapshot(data);
    const r = await memlensBounded(['unitmem', MODEL, '--data', data, '--views', '2', '--json'], {
      env: { MEMLENS_NO_CACHE: '1' },
    });
    expect([r.code, withoutNotes(r.stderr)]).toEqual([0, 'unitmem...\n']);
    expect(r.ms).toBeLessThan(60_000);
    expect(r.maxRss).toBeLessThan(GB);
    const doc = JSON.parse(r.stdout);
    expect(doc.samples.length).toBe(6);
    expect(doc.skipped).toEqual([
      { id: 'a/zero.png', reason: `image ${join(data, 'a', 'zero.png')} is not a regular file` },
      { id: 'b/fifo.png', reason: `image ${join(data, 'b', 'fifo.png')} is not a regular file` },
    ]);
    expect(snapshot(data)).toEqual(before);
  });

  it('3. a save with external data killed at any moment leaves a model that loads with its own weights', async () => {
    const dir = tmp();
    const out = join(dir, 'out.onnx');
    // Two models with different weights alternately replace the same externalized pair.
    const a = join(dir, 'a.onnx');
    const b = join(dir, 'b.onnx');
    copyFileSync(MODEL, a);
    copyFileSync(join(DEMO, 'ssl-cnn-g.onnx'), b);
    const weights = async (p: string) =>
      createHash('sha256')
        .update(
          (await loadModel(p)).proto.graph!.initializer.map((t) => Buffer.from(t.raw_data).toString('hex')).join(),
        )
        .digest('hex');
    const expected = new Set([await weights(a), await weights(b)]);
    await saveModel((await loadModel(a)).proto, out, { externalData: true });
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, [
        join(DEMO, '..', '..', 'bin', 'memlens.js'),
        'convert',
        round % 2 ? a : b,
        out,
        '--external-data',
      ]);
      // Listen before waiting: on an idle machine the convert may finish before the kill.
      const closed = new Promise((r) => child.on('close', r));
      await new Promise((r) => setTimeout(r, 150 + round * 60));
      child.kill('SIGKILL');
      await within(closed, 30_000, 'exit of the killed convert');
      expect(expected.has(await weights(out))).toBe(true);
    }
    const r = await memlensBounded(['convert', a, out, '--external-data']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(await weights(out)).toBe(await weights(a));
    // Temp files of the killed runs are gone once the next write to the same names succeeded.
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.endsWith('.data')).length).toBe(1);
  });

  it('4. the result cache: never a shared folder, `{}` is a miss, an edited image or side file is a new key', async () => {
    const dir = tmp();
    const data = await classFolders(join(dir, 'data'), { a: 3, b: 3 });
    const model = join(dir, 'm.onnx');
    copyFileSync(MODEL, model);
    const req = { model, data, views: 2 };
    const first = await computeUnitMem(req);
    const cache = join(dir, '.memlens-cache');
    const [file] = readdirSync(cache);
    writeFileSync(join(cache, file), '{}');
    expect((await computeUnitMem(req)).layers).toEqual(first.layers);
    // A rewritten image one level down changes neither the data folder's stat nor its name.
    const px = Buffer.alloc(28 * 28, 7);
    const sharp = (await import('sharp')).default;
    await sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toFile(join(data, 'a', '0.png'));
    const edited = await computeUnitMem(req);
    expect(readdirSync(cache).length).toBe(2);
    expect(edited.layers).not.toEqual(first.layers);
    // A folder others can write to (the model in /tmp itself) is never used; the user's own cache is.
    const shared = tmp();
    chmodSync(shared, 0o777);
    const prev = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = join(dir, 'xdg');
    try {
      expect(await cacheDir(join(shared, 'm.onnx'))).toBe(join(dir, 'xdg', 'memlens'));
      expect(await cacheDir(join(tmpdir(), 'm.onnx'))).toBe(join(dir, 'xdg', 'memlens'));
    } finally {
      if (prev === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = prev;
    }
    // New weights in a side file are a new model for the cache.
    const ext = join(dir, 'ext.onnx');
    const saved = await saveModel((await loadModel(model)).proto, ext, { externalData: true });
    const key = (await loadModel(ext)).sha256;
    const side = readFileSync(saved.dataPath!);
    side[side.length - 1] ^= 1;
    writeFileSync(saved.dataPath!, side);
    expect((await loadModel(ext)).sha256).not.toBe(key);
  });

  it('5. an external-data location that is a link out of the model folder is refused, nothing copied', async () => {
    const dir = tmp();
    const outside = tmp();
    writeFileSync(join(outside, 'secret'), 'root:x:0:0:root:/root:/bin/bash\n'.repeat(200));
    mkdirSync(join(dir, 'model'));
    const saved = await saveModel((await loadModel(MODEL)).proto, join(dir, 'model', 'm.onnx'), { externalData: true });
    const side = saved.dataPath!;
    const location = side.slice(join(dir, 'model').length + 1);
    execFileSync('rm', [side]);
    symlinkSync(join(outside, 'secret'), side);
    const before = snapshot(dir);
    expectRefused(
      await memlensBounded(['convert', join(dir, 'model', 'm.onnx'), join(dir, 'copy.onnx')]),
      `memlens convert: ${join(dir, 'model', 'm.onnx')}: tensor ${decodeModel(readFileSync(join(dir, 'model', 'm.onnx'))).graph!.initializer.find((t) => t.external_data.length)!.name} has external data outside the model folder (${location})`,
    );
    expect(existsSync(join(dir, 'copy.onnx'))).toBe(false);
    expect(snapshot(dir)).toEqual(before);
  });

  it('6. decompression bombs: a small .gz IDX and a small PNG declaring huge images are bounded', async () => {
    const dir = tmp();
    // 1,000,000 images of 1000x1000 declared, 32 MiB of zeros behind it: a file of ~32 KB.
    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x00000803, 0);
    header.writeUInt32BE(1_000_000, 4);
    header.writeUInt32BE(1000, 8);
    header.writeUInt32BE(1000, 12);
    const bomb = join(dir, 'bomb-images-idx3-ubyte.gz');
    writeFileSync(bomb, gzipSync(Buffer.concat([header, Buffer.alloc(32 * 1024 * 1024)])));
    const before = snapshot(dir);
    expectRefused(
      await memlensBounded(['unitmem', MODEL, '--data', bomb, '--views', '2']),
      `memlens unitmem: ${bomb} declares 1000000000016 bytes of data, over the limit of 1073741824 bytes (raise it with MEMLENS_MAX_FILE_BYTES)`,
    );
    // With --limit only the kept images are inflated.
    const limited = await memlensBounded(['unitmem', MODEL, '--data', bomb, '--views', '2', '--limit', '4', '--json'], {
      env: { MEMLENS_NO_CACHE: '1' },
    });
    expect([limited.code, withoutNotes(limited.stderr)]).toEqual([0, 'unitmem...\n']);
    expect(JSON.parse(limited.stdout).samples.length).toBe(4);
    expect(limited.maxRss).toBeLessThan(GB);
    // A PNG whose header says 16000x16000 (a few hundred KB of zlib-compressed zero rows).
    const folder = join(dir, 'pngs');
    await classFolders(folder, { a: 2 });
    writeFileSync(join(folder, 'a', 'big.png'), hugePng(16000, 16000));
    const r = await memlensBounded(['unitmem', MODEL, '--data', folder, '--views', '2', '--json'], {
      env: { MEMLENS_NO_CACHE: '1' },
    });
    expect([r.code, withoutNotes(r.stderr)]).toEqual([0, 'unitmem...\n']);
    expect(JSON.parse(r.stdout).skipped).toEqual([
      {
        id: 'a/big.png',
        reason: `image ${join(folder, 'a', 'big.png')} is 16000x16000, over the limit of 40000000 pixels (raise it with MEMLENS_MAX_IMAGE_PIXELS)`,
      },
    ]);
    expect(r.maxRss).toBeLessThan(GB);
    expect(snapshot(dir)).toEqual({ ...before, ...snapshot(dir) });
    expect(snapshot(dir)['/bomb-images-idx3-ubyte.gz']).toBe(before['/bomb-images-idx3-ubyte.gz']);
  });

  it('7. concurrent atomic writes never collide; temp files of killed writers are removed', async () => {
    const dir = tmp();
    const target = join(dir, 'doc.json');
    await Promise.all(Array.from({ length: 1200 }, (_, i) => writeFileAtomic(target, JSON.stringify({ i }))));
    expect(readdirSync(dir)).toEqual(['doc.json']);
    // A writer killed mid-write (a process that no longer exists) left its temp file behind.
    const dead = spawn(process.execPath, ['-e', '']);
    await within(new Promise((r) => dead.on('close', r)), 30_000, 'exit of node -e ""');
    const orphan = join(dir, `.doc.json.${dead.pid}.0123456789ab.tmp`);
    writeFileSync(orphan, 'partial');
    await writeFileAtomic(target, '{}');
    expect(readdirSync(dir)).toEqual(['doc.json']);
    // Writing into a folder that does not exist creates it (issue 20 item 1).
    await writeFileAtomic(join(dir, 'new', 'deeper', 'x.csv'), 'a\n');
    expect(readFileSync(join(dir, 'new', 'deeper', 'x.csv'), 'utf8')).toBe('a\n');
  });

  it('8. a request naming a private file is answered without its content; serve warns off loopback', async () => {
    const dir = tmp();
    const secret = join(dir, 'shadow');
    writeFileSync(secret, 'root:$6$salt$hash:19000:0:99999:7:::\n');
    const { createEngine } = await import('../../../src/main/engine/index.js');
    const engine = createEngine({ resourcesDir: join(dir, 'res'), stateDir: join(dir, 'state') });
    const e = await engine.openProject({ path: secret }).then(
      () => undefined,
      (x: Error) => x,
    );
    expect(e?.message).toBe(`project file ${secret} is not valid JSON: unexpected character`);
    const serve = spawn(process.execPath, [
      join(DEMO, '..', '..', 'bin', 'memlens.js'),
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
    ]);
    let out = '';
    let err = '';
    serve.stdout.on('data', (c) => (out += c));
    serve.stderr.on('data', (c) => (err += c));
    // On a fresh clone serve first builds the app page (~20 s, a line on stderr saying so).
    const deadline = Date.now() + 150_000;
    while (!err.includes('warning') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    serve.kill('SIGTERM');
    await within(new Promise((r) => serve.on('close', r)), 30_000, 'exit of memlens serve after SIGTERM');
    expect(out).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/\?token=[0-9a-f]{48}\n/);
    const warning =
      'memlens serve: warning: listening on 0.0.0.0, reachable from other machines; anyone with the URL can read and write files as you\n';
    expect([warning, `memlens serve: building the app page into out/renderer (first run)...\n${warning}`]).toContain(
      err,
    );
  }, 240_000);

  it('9. a 0x0-pixel IDX is refused; an export onnxruntime would refuse is never written', async () => {
    const dir = tmp();
    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x00000803, 0);
    header.writeUInt32BE(10, 4);
    const empty = join(dir, 'empty-images-idx3-ubyte');
    writeFileSync(empty, header);
    expectRefused(
      await memlensBounded(['unitmem', MODEL, '--data', empty]),
      `memlens unitmem: ${empty} holds 0x0-pixel images, which have no pixels`,
    );
    // An op onnxruntime does not know, which nothing but onnxruntime would notice.
    const proto = decodeModel(readFileSync(MODEL));
    const relu = proto.graph!.node.find((n) => n.op_type === 'Relu')!;
    relu.op_type = 'Relv';
    writeFileSync(join(dir, 'odd.onnx'), encodeModel(proto));
    const before = snapshot(dir);
    const r = await memlensBounded([
      'prune',
      join(dir, 'odd.onnx'),
      '--strategy',
      'l1',
      '--ratio',
      '0.2',
      '--scope',
      'global',
      '--out',
      join(dir, 'out.onnx'),
    ]);
    expect(r.stderr).toMatch(
      new RegExp(`^memlens prune: cannot save ${join(dir, 'out.onnx')}: onnxruntime refuses the model: .*Relv.*\\n$`),
    );
    expect([r.code, r.maxRss! < GB]).toEqual([1, true]);
    expect(snapshot(dir)).toEqual(before);
  });
});

/** A gray PNG of width x height zero pixels: IHDR, one IDAT of compressed rows, IEND. */
function hugePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (gray), deflate, no filter method, no interlace
  const rows = deflateSync(Buffer.alloc((width + 1) * height), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** CRC-32 as PNG chunks carry it (ISO 3309, the zlib polynomial). */
function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}
