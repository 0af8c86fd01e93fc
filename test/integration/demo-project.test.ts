// The shipped demo project (resources/demo, written by scripts/make-demo-models.py): every model loads in
// onnxruntime-node and reproduces PyTorch's embeddings; every data file decodes to the counts and class
// counts the factory recorded in split.json.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { ProjectFile } from '../../src/shared/api.js';
import { DEMO } from '../support/cli.js';

interface SplitSet {
  count: number;
  classCounts: number[];
  file: string | null;
  /** Indices into the original Fashion-MNIST file, in the order of the demo file. */
  indices: number[];
}

const readJson = <T>(name: string): T => JSON.parse(readFileSync(join(DEMO, name), 'utf8')) as T;
const project = readJson<ProjectFile>('project.memlens.json');
const split = readJson<{ sets: Record<string, SplitSet> }>('split.json');
const reference = readJson<{ embeddings: Record<string, number[][]> }>('reference-embeddings.json');

/** IDX (MNIST's format): big-endian magic 0x0000 08 NDIM, NDIM big-endian sizes, then unsigned bytes. */
function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  const raw = gunzipSync(readFileSync(path));
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0);
  expect(magic >> 8, `${path}: unsigned-byte IDX`).toBe(0x08);
  const dims = Array.from({ length: magic & 0xff }, (_, i) => view.getUint32(4 + 4 * i));
  const data = raw.subarray(4 + 4 * dims.length);
  expect(data.length).toBe(dims.reduce((a, b) => a * b, 1));
  return { dims, data };
}

const labelsPath = (images: string) => images.replace('-images-idx3-ubyte', '-labels-idx1-ubyte');
const dataFiles = { candidates: project.data.candidates, train: project.data.train!, test: project.data.test! };

describe('demo project data', () => {
  it.each(Object.entries(dataFiles))('%s decodes to the recorded count, 28x28 images and class counts', (set, file) => {
    const recorded = split.sets[set];
    expect(recorded.file).toBe(file);
    const images = readIdx(join(DEMO, file));
    expect(images.dims).toEqual([recorded.count, 28, 28]);
    const labels = readIdx(join(DEMO, labelsPath(file)));
    expect(labels.dims).toEqual([recorded.count]);
    const counts = new Array<number>(10).fill(0);
    for (const l of labels.data) {
      expect(l).toBeLessThan(10);
      counts[l]++;
    }
    expect(counts).toEqual(recorded.classCounts);
  });

  it('records S_S, S_C and S_I as disjoint sets of the recorded sizes', () => {
    const { shared, candidates, independent } = split.sets;
    for (const s of [shared, candidates, independent]) expect(new Set(s.indices).size).toBe(s.count);
    const fromTrainFile = [...shared.indices, ...candidates.indices, ...independent.indices];
    expect(new Set(fromTrainFile).size).toBe(fromTrainFile.length);
  });

  it('fits the 25 MB budget', () => {
    const files = ['project.memlens.json', 'split.json', 'metrics.json', 'README.md', 'reference-embeddings.json'];
    const paths = [
      ...files,
      ...project.models!.map((m) => m.path),
      ...Object.values(dataFiles).flatMap((f) => [f, labelsPath(f)]),
    ];
    const bytes = paths.reduce((sum, p) => sum + statSync(join(DEMO, p)).size, 0);
    expect(bytes).toBeLessThan(25 * 1024 * 1024);
  });
});

describe('demo project models', () => {
  const batch = 5; // not the exporter's dummy batch of 2: the batch axis must really be dynamic
  const candidates = readIdx(join(DEMO, project.data.candidates));
  const [mean, std] = [project.normalization.mean[0], project.normalization.std[0]];
  const input = Float32Array.from(candidates.data.subarray(0, batch * 28 * 28), (p) => (p / 255 - mean) / std);

  it('names f, g and the supervised model among its models', () => {
    const paths = project.models!.map((m) => m.path);
    for (const p of [project.model, project.reference!, project.supervised!]) expect(paths).toContain(p);
    for (const p of paths) expect(existsSync(join(DEMO, p)), p).toBe(true);
  });

  it.each(project.models!.map((m) => m.path))('%s embeds demo images as PyTorch did', async (path) => {
    const session = await ort.InferenceSession.create(join(DEMO, path));
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['embedding']);
    const out = (await session.run({ input: new ort.Tensor('float32', input, [batch, 1, 28, 28]) })).embedding;
    const expected = reference.embeddings[path];
    const dim = expected[0].length;
    expect(dim).toBe(path.includes('vit') ? 64 : 128);
    expect(out.dims).toEqual([batch, dim]);
    const values = out.data as Float32Array;
    expect(values.every(Number.isFinite)).toBe(true);
    expected.forEach((row, i) =>
      row.forEach((v, j) => expect(values[i * dim + j], `${path} [${i}, ${j}]`).toBeCloseTo(v, 4)),
    );
    await session.release();
  });
});
