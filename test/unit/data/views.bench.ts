// Throughput of the data hot path (run: npx vitest bench --run --project unit test/unit/data). One op = one
// batch of 256 images, so images/s = hz * 256. Goal: views + normalization of 28x28 gray well
// above 40,000 images/s on one thread (< 25% of a ~12,000 images/s x V-views inference pass).
import { bench, describe } from 'vitest';
import type { RawImage } from '../../../src/main/engine/data/image.js';
import { toTensor } from '../../../src/main/engine/data/preprocess.js';
import { Random } from '../../../src/main/engine/data/random.js';
import { DEFAULT_AUGMENT, viewsToTensor } from '../../../src/main/engine/data/views.js';

const BATCH = 256;
const rng = new Random(1);
const images = (side: number, channels: 1 | 3): RawImage[] =>
  Array.from({ length: BATCH }, () => ({
    width: side,
    height: side,
    channels,
    data: Uint8Array.from({ length: side * side * channels }, () => rng.int(256)),
  }));
const keys = Array.from({ length: BATCH }, (_, i) => ({ sample: i, view: 0 }));

for (const [name, imgs, channels, side] of [
  ['28x28 gray', images(28, 1), 1, 28],
  ['32x32 RGB', images(32, 3), 3, 32],
] as const) {
  const spec = { channels, height: side, width: side, mean: [0.5], std: [0.5] };
  const out = new Float32Array(BATCH * channels * side * side);
  let view = 0;
  describe(`${name}, batch ${BATCH}`, () => {
    bench('toTensor (no augmentation)', () => {
      toTensor(imgs, spec, out);
    });
    bench('viewsToTensor (SimCLR defaults)', () => {
      for (const k of keys) k.view = view;
      view++;
      viewsToTensor(imgs, keys, DEFAULT_AUGMENT, 0, spec, out);
    });
  });
}
