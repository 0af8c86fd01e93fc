import type { FinetuneResult } from '../../../shared/api.js';
import { memorizationLine, probeText } from '../../../shared/finetune-format.js';
import { formatPercent } from '../../../shared/format.js';
import { finetune as runFinetune, resultPath } from '../../engine/finetune/job.js';
import { checkKnown, flag, num, str, UsageError } from '../args.js';
import { DATA_OPTIONS, dataOptions } from '../data-options.js';
import { choice } from '../metric-verb.js';
import { normalizationLine } from '../output.js';
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
  flags: ['head'],
  async run(args) {
    checkKnown(args, [...DATA_OPTIONS, 'train', 'test', 'layers', 'reference', 'control', 'data', 'epochs', 'optimizer', 'lr', 'head']);
    const [model, ...extra] = args.positionals;
    const train = str(args, 'train');
    const test = str(args, 'test');
    const layers = str(args, 'layers');
    if (!model || extra.length || !train || !test || !layers) throw new UsageError('needs MODEL --train D --test D --layers auto|last:K|NAMES');
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
