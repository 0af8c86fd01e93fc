// The data stage's public API (sources -> preprocessing -> views); see each module for details.
export type { RawImage } from './image.js';
export { openSource, type DataSource, type OpenOptions, type SourceKind } from './source.js';
export { toTensor, type TensorSpec } from './preprocess.js';
export {
  DEFAULT_AUGMENT,
  makeView,
  resolveAugment,
  sampleViewParams,
  viewImage,
  viewsToTensor,
  type ViewKey,
  type ViewParams,
} from './views.js';
export { Random, permutation, shuffle } from './random.js';
export { samplePng } from './png.js';
export { batches, readRange } from './batches.js';
