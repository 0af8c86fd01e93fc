// `memlens convert`: re-save a model, moving weights to or from a side file.
import { loadModel, saveModel, type SavedModel } from './model-file.js';

export interface ConvertOptions {
  /** true: weights to "<out>.data"; false: embedded; undefined: the layout the source has. */
  externalData?: boolean;
}

export async function convertModel(input: string, output: string, opts: ConvertOptions = {}): Promise<SavedModel> {
  const model = await loadModel(input);
  const externalData = opts.externalData ?? model.externalData.length > 0;
  return saveModel(model.proto, output, { externalData, source: model });
}
