// Mutation fuzz (issue 17): single-byte mutations of the demo encoders go through inspect, UnitMem
// and prune in the engine, as the CLI and the hosts call them. Every outcome must be a result or a
// one-line MemLensError (anything else reaches the user as an internal error), no call may run past
// its deadline, the process stays under 1 GB, and every model prune writes loads in onnxruntime.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemLensError } from '../../../src/main/engine/errors.js';
import { computeUnitMem } from '../../../src/main/engine/metrics/unitmem-job.js';
import { decodeModel, forEachTensor } from '../../../src/main/engine/onnx/index.js';
import { pruneModel } from '../../../src/main/engine/prune/export.js';
import { inspectModel } from '../../../src/main/engine/units/model-info.js';
import { DEMO } from '../../support/cli.js';

/** Mutations per model; MEMLENS_FUZZ_RUNS raises it for a longer local hunt. */
const RUNS = Number(process.env.MEMLENS_FUZZ_RUNS) || 100;
const STEP_MS = 20_000;
const RSS_LIMIT = 1024 ** 3;

/** mulberry32: a seeded stream, so a failure names the mutation that reproduces it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Byte offsets of the file outside tensor payloads: the graph's structure, where mutations bite. */
function structureBytes(bytes: Buffer): number[] {
  const weight = new Uint8Array(bytes.length);
  forEachTensor(decodeModel(bytes), (t) => {
    if (t.raw_data.byteLength)
      weight.fill(
        1,
        t.raw_data.byteOffset - bytes.byteOffset,
        t.raw_data.byteOffset - bytes.byteOffset + t.raw_data.byteLength,
      );
  });
  const out: number[] = [];
  weight.forEach((w, i) => w || out.push(i));
  return out;
}

type Outcome = 'ok' | 'refused';

/** The step's result kind; throws (failing the test with the mutation named) on anything but a MemLensError. */
async function step<T>(what: string, run: () => Promise<T>): Promise<{ outcome: Outcome; value?: T }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>(
    (_, fail) => (timer = setTimeout(() => fail(new Error(`${what}: no answer within ${STEP_MS} ms`)), STEP_MS)),
  );
  let result: { outcome: Outcome; value?: T };
  try {
    result = { outcome: 'ok', value: await Promise.race([run(), deadline]) };
  } catch (e) {
    if (!(e instanceof MemLensError) || e.message.includes('\n'))
      throw new Error(`${what}: ${(e as Error).stack ?? e}`, { cause: e });
    result = { outcome: 'refused' };
  } finally {
    clearTimeout(timer);
  }
  const rss = process.memoryUsage().rss;
  if (rss > RSS_LIMIT) throw new Error(`${what}: RSS ${rss} bytes, over ${RSS_LIMIT}`);
  return result;
}

const dir = mkdtempSync(join(tmpdir(), 'memlens-fuzz-'));
const data = join(DEMO, 'data', 'candidates-images-idx3-ubyte.gz');
let noCache: string | undefined;
beforeAll(() => {
  noCache = process.env.MEMLENS_NO_CACHE;
  process.env.MEMLENS_NO_CACHE = '1'; // every mutation computes; nothing is written beside the models
});
afterAll(() => {
  if (noCache === undefined) delete process.env.MEMLENS_NO_CACHE;
  else process.env.MEMLENS_NO_CACHE = noCache;
});

describe('mutation fuzz of the demo encoders', () => {
  it.each(['ssl-cnn-f.onnx', 'ssl-vit-f.onnx'])(
    '%s: every single-byte mutation is a result or a one-line refusal, bounded, and exports load in onnxruntime',
    async (name) => {
      const original = readFileSync(join(DEMO, name));
      const structure = structureBytes(original);
      const next = random(0x5eed + name.length);
      const tally = {
        inspect: { ok: 0, refused: 0 },
        unitmem: { ok: 0, refused: 0 },
        prune: { ok: 0, refused: 0 },
        exports: 0,
      };
      for (let run = 0; run < RUNS; run++) {
        // Three in four mutations hit the structure; the rest land anywhere (weights included).
        const at =
          next() < 0.75 ? structure[Math.floor(next() * structure.length)] : Math.floor(next() * original.length);
        const mutated = Buffer.from(original);
        mutated[at] = (mutated[at] + 1 + Math.floor(next() * 255)) & 0xff;
        const model = join(dir, `${name}.${run}.onnx`);
        writeFileSync(model, mutated);
        const what = `${name} byte ${at} = ${mutated[at]} (was ${original[at]})`;
        const info = await step(`${what}: inspect`, () => inspectModel(model));
        tally.inspect[info.outcome]++;
        if (info.outcome !== 'ok') continue;
        const um = await step(`${what}: unitmem`, () => computeUnitMem({ model, data, limit: 4, views: 2 }));
        tally.unitmem[um.outcome]++;
        const out = join(dir, `${name}.${run}.pruned.onnx`);
        const pruned = await step(`${what}: prune`, () =>
          pruneModel({ model, strategy: 'l1', ratio: 0.25, scope: 'global', out }),
        );
        tally.prune[pruned.outcome]++;
        if (pruned.outcome !== 'ok') continue;
        const session = await step(`${what}: export loads`, () =>
          ort.InferenceSession.create(out).catch((e: Error) => {
            throw new Error(`onnxruntime refuses the export: ${e.message}`);
          }),
        );
        await session.value?.release();
        tally.exports++;
      }
      console.log(`${name}: ${JSON.stringify(tally)}`);
      // The corpus exercises both sides: models that still work and models that are refused.
      expect(tally.inspect.ok).toBeGreaterThan(0);
      expect(tally.inspect.refused).toBeGreaterThan(0);
      expect(tally.exports).toBeGreaterThan(0);
    },
    RUNS * 2_000,
  );
});
