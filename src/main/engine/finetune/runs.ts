// Fine-tune runs as points of a comparison (docs/compare.md "Fine-tuned points"): a run's
// .finetune.json, or the encoder it exported, opened and checked to be a fine-tuned copy of the
// compared model; and the runs kept beside a project, listed for the Compare screen.
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { FinetuneRunInfo, ModelRef } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import { isJsonObject, readJson } from '../files.js';
import { loadModel, SOURCE_SHA256_KEY, type OnnxModel } from '../onnx/index.js';
import { loadProject } from '../project/project.js';
import { HEAD_OUTPUT, LAYERS_KEY, RUN_SUFFIX } from './export.js';

export interface FinetunedEncoder {
  model: OnnxModel;
  /** The layers the run trained. */
  layers: string[];
}

const isFile = async (path: string) => (await stat(path).catch(() => undefined))?.isFile() ?? false;

/** The encoder a run exported: resultPath's inverse, X.onnx (else X) beside X.finetune.json. */
async function exportedModel(run: string): Promise<string | undefined> {
  const stem = run.slice(0, -RUN_SUFFIX.length);
  for (const file of [`${stem}.onnx`, stem]) if (await isFile(file)) return file;
  return undefined;
}

const isRunFile = (path: string) => path.toLowerCase().endsWith(RUN_SUFFIX);

/** `path`: a run's .finetune.json or the ONNX it exported; the encoder must be fine-tuned from `source`. */
export async function openFinetuned(path: string, source: ModelRef): Promise<FinetunedEncoder> {
  let file = path;
  if (isRunFile(path)) {
    if (!(await isFile(path))) throw new MemLensError('NOT_FOUND', `fine-tune run ${path} does not exist`);
    const exported = await exportedModel(path);
    if (!exported) {
      throw new MemLensError(
        'NOT_FOUND',
        `fine-tune run ${path}: the encoder it exported (${path.slice(0, -RUN_SUFFIX.length)}.onnx) does not exist`,
      );
    }
    file = exported;
  }
  const model = await loadModel(file);
  const meta = new Map(model.proto.metadata_props.map((e) => [e.key, e.value]));
  const layers = meta.get(LAYERS_KEY);
  if (layers === undefined) {
    throw new MemLensError(
      'BAD_INPUT',
      `${file} is not a fine-tuned encoder: it has no ${LAYERS_KEY} provenance (memlens finetune --out writes it)`,
    );
  }
  if (meta.get(SOURCE_SHA256_KEY) !== source.sha256) {
    throw new MemLensError('BAD_INPUT', `${file} was not fine-tuned from ${source.path} (its sha256 differs)`);
  }
  // The embedding is output 0 either way, but the head would be measured as one more layer.
  if (model.proto.graph!.output.some((o) => o.name === HEAD_OUTPUT)) {
    throw new MemLensError(
      'BAD_INPUT',
      `${file} carries its linear head (finetune --head): compare measures the encoder, fine-tune again without --head`,
    );
  }
  return { model, layers: JSON.parse(layers) as string[] };
}

/** One .finetune.json as listed: why it cannot join a comparison of `source`, if it cannot. */
async function runInfo(path: string, source: ModelRef): Promise<FinetuneRunInfo> {
  const created = (await stat(path)).mtime.toISOString();
  const model = (await exportedModel(path)) ?? '';
  const doc = await readJson(path, 'fine-tune run').catch(() => undefined);
  if (!isJsonObject(doc) || doc.schema !== 'memlens.finetune/1') {
    return { path, model, created, error: 'not a memlens.finetune/1 document' };
  }
  const settings = isJsonObject(doc.settings) ? doc.settings : {};
  const accuracy = (v: unknown) => (isJsonObject(v) && typeof v.accuracy === 'number' ? v.accuracy : undefined);
  const info: FinetuneRunInfo = {
    path,
    model,
    created,
    layers: Array.isArray(doc.layers) ? (doc.layers as string[]) : undefined,
    epochs: typeof settings.epochs === 'number' ? settings.epochs : undefined,
    baseline: accuracy(doc.baseline),
    finetuned: accuracy(doc.finetuned),
  };
  const from = isJsonObject(doc.model) ? doc.model.sha256 : undefined;
  const error =
    from !== source.sha256
      ? `fine-tuned from another model than ${source.path}`
      : !model
        ? 'the encoder it exported is missing'
        : settings.head === true
          ? 'exported with its linear head (--head)'
          : undefined;
  return error ? { ...info, error } : info;
}

/**
 * The fine-tune runs beside a project: every .finetune.json in the project's folder and its model's
 * (where the Fine-tune screen exports by default), newest first.
 */
export async function listFinetuneRuns(project: string): Promise<FinetuneRunInfo[]> {
  const info = await loadProject(project);
  const model = await loadModel(info.model);
  const source = { path: model.path, sha256: model.sha256 };
  const folders = [...new Set([dirname(resolve(project)), dirname(resolve(info.model))])];
  const runs: FinetuneRunInfo[] = [];
  for (const folder of folders) {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names.filter(isRunFile)) runs.push(await runInfo(join(folder, name), source));
  }
  return runs.sort((a, b) => b.created.localeCompare(a.created));
}
