// The WebAssembly update kernels (kernels.ts) against the same loops in JS, on regions whose lengths
// are not multiples of four: the SIMD kernels run over the last group of four, never past it.
// AdamW and SGD against torch.optim are in optim.test.ts.
import { expect, test } from 'vitest';
import { kernelMemory, kernels, Layout } from '../../../src/main/engine/finetune/kernels.js';

const N = 10;
const values = (seed: number) => Float32Array.from({ length: N }, (_, i) => Math.sin(seed + i * 1.7));

test('axpby and gather match their definitions and leave the next region alone', () => {
  const layout = new Layout();
  const [x, y, out, order] = [N, N, N, N].map((n) => layout.add(n));
  // each region on a 64-byte line: 16 floats for 10
  expect([x, y, out, order, layout.size]).toEqual([0, 16, 32, 48, 64]);
  const k = kernels(kernelMemory(layout.size));
  k.f32.set(values(1), x);
  k.f32.set(values(2), y);
  // past a written region's last group of four floats: never touched
  const spare = (r: number) => k.f32.subarray(r + 12, r + 16);
  for (const r of [x, out]) spare(r).fill(7);
  const perm = Int32Array.from([3, 9, 0, 0, 5, 1, 8, 2, 7, 6]);
  k.i32.set(perm, order);

  k.axpby(x, y, N, 0.25, -2);
  const want = values(1).map((v, i) => Math.fround(0.25 * v + -2 * values(2)[i]));
  Array.from(k.f32.subarray(x, x + N)).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));

  k.gather(out, y, order, N);
  expect(Array.from(k.f32.subarray(out, out + N))).toEqual(Array.from(perm, (p) => values(2)[p]));
  for (const r of [x, out]) expect(Array.from(spare(r))).toEqual([7, 7, 7, 7]);
});

test('a second instance over the same memory sees the first one’s writes (shards share one)', () => {
  const memory = kernelMemory(16);
  const [a, b] = [kernels(memory), kernels(memory)];
  a.f32.set([1, 2, 3, 4], 0);
  b.axpby(0, 0, 4, 1, 1);
  expect(Array.from(a.f32.subarray(0, 4))).toEqual([2, 4, 6, 8]);
});
