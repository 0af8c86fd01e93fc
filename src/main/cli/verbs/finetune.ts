import type { FinetuneResult } from '../../../shared/api.js';
import { memorizationLine, probeText } from '../../../shared/finetune-format.js';
import { formatPercent } from '../../../shared/format.js';
import { DEFAULT_EPOCHS, DEFAULT_LR, finetune as runFinetune, resultPath } from '../../engine/finetune/job.js';
import { DEFAULT_AUTO_LAYERS } from '../../engine/finetune/select.js';
import { flag, num, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { choice } from '../metric-verb.js';
import { JSON_OPTION, normalizationLine } from '../output.js';
import { cliJob } from '../progress.js';
import type { Verb } from '../verb.js';

const pct = (a: number) => formatPercent(a, 2);

function summary(r: FinetuneResult): string {
  const base = r.baseline.epochs ?? [];
  return [
    `finetune ${r.model.path}: layers ${r.layers.join(', ')} + linear head`,
    `  epoch  head-only loss  acc      fine-tuned loss  acc`,
    ...r.epochs.map(
      (e, i) =>
        `  ${String(i + 1).padStart(5)}  ${(base[i]?.loss ?? NaN).toFixed(4).padStart(14)}  ${pct(base[i]?.accuracy ?? NaN).padStart(7)}  ${e.loss.toFixed(4).padStart(15)}  ${pct(e.accuracy).padStart(7)}`,
    ),
    `test accuracy: head only ${pct(r.baseline.accuracy)}, fine-tuned ${pct(r.finetuned.accuracy)}`,
    ...(r.probe ? [`  both: ${probeText(r.probe)}`] : []),
    ...(r.memorization ? [memorizationLine(r.memorization)] : []),
    ...normalizationLine(r.settings),
    ...(r.out ? [`wrote ${r.out} and ${resultPath(r.out)}`] : ['no --out: the fine-tuned model was not written']),
  ].join('\n');
}

export const finetune: Verb = {
  name: 'finetune',
  summary: 'Memorization-guided fine-tuning on onnxruntime',
  usage:
    'finetune MODEL --train D --test D --layers auto[:K]|last:K|all|NAMES [--reference G [--control D] [--data D]] [--epochs E] [--optimizer adamw|sgd] [--lr X] [--head] --out T.onnx [--json]',
  description:
    "Fine-tunes the chosen encoder layers together with a linear classification head on --train, on onnxruntime's training graph, and reports test accuracy against the head alone trained the same way. auto[:K] picks the K layers with the highest DeltaLayerMem (needs --reference); last:K the last K; all every trainable layer; or a comma-separated list of names. With --reference and --control, memorization is measured before and after (docs/compare.md). Writes the fine-tuned encoder to --out and its result document beside it. On the CPU each batch is split over worker threads (MEMLENS_TRAIN_SHARDS=N sets how many); MEMLENS_TRAIN_BALANCE=1 splits it by their measured speed, for cores of unequal speed, at the cost of bit-identical reruns (docs/FINETUNE.md).",
  options: [
    ...DATA_OPTIONS,
    JSON_OPTION,
    { name: 'train', value: 'D', help: 'labelled training data (required)' },
    { name: 'test', value: 'D', help: 'labelled test data (required)' },
    {
      name: 'layers',
      value: 'SPEC',
      help: `auto[:K] (default K ${DEFAULT_AUTO_LAYERS}), last:K, all, or layer names (required)`,
    },
    { name: 'reference', value: 'G', help: 'reference encoder for auto (DeltaLayerMem) and for the SSLMem gap' },
    {
      name: 'control',
      value: 'D',
      help: 'control set for the SSLMem gap before and after (points the model and the reference both trained on)',
    },
    {
      name: 'data',
      value: 'D',
      help: "points LayerMem ranks layers on for auto (default: the project's candidates, else --train)",
    },
    { name: 'epochs', value: 'E', help: `training epochs (default ${DEFAULT_EPOCHS})` },
    { name: 'optimizer', value: 'adamw|sgd', help: 'the optimizer (default adamw)' },
    {
      name: 'lr',
      value: 'X',
      help: `learning rate (default ${DEFAULT_LR.adamw} for adamw, ${DEFAULT_LR.sgd} for sgd)`,
    },
    { name: 'head', help: 'also export the trained linear head (output logits)' },
    { name: 'out', value: 'T.onnx', help: 'where to write the fine-tuned model (without it nothing is written)' },
  ],
  async run(args) {
    const [model, ...extra] = args.positionals;
    const train = str(args, 'train');
    const test = str(args, 'test');
    const layers = str(args, 'layers');
    if (!model || extra.length || !train || !test || !layers)
      throw new UsageError('needs MODEL --train D --test D --layers auto|last:K|NAMES');
    const job = cliJob();
    let result: FinetuneResult;
    try {
      result = await runFinetune(
        {
          model,
          train,
          test,
          layers,
          ...dataOptions(args),
          reference: str(args, 'reference'),
          control: str(args, 'control'),
          data: str(args, 'data'),
          epochs: num(args, 'epochs'),
          optimizer: choice(args, 'optimizer', ['adamw', 'sgd'] as const),
          lr: num(args, 'lr'),
          head: flag(args, 'head'),
          out: str(args, 'out'),
        },
        job,
      );
    } finally {
      job.dispose();
    }
    // --out names the model here (the result document goes next to it), so emitResult's --out is not used.
    process.stdout.write((flag(args, 'json') ? JSON.stringify(result) : summary(result)) + '\n');
    return 0;
  },
};
