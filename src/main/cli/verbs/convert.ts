import { convertModel } from '../../engine/onnx/index.js';
import { flag, UsageError } from '../args.js';
import type { Verb } from '../verb.js';

export const convert: Verb = {
  name: 'convert',
  summary: 'Re-save an ONNX model, moving weights to or from a side file',
  usage: 'convert IN OUT [--external-data|--embed]',
  description:
    "Re-saves an ONNX model: with --external-data the weights go to OUT.data beside OUT (for models over protobuf's 2 GB limit), with --embed they come back into the file. The graph is unchanged.",
  options: [
    { name: 'external-data', help: 'write the weights to a side file OUT.data' },
    { name: 'embed', help: 'read external weights back into the model file' },
    { name: 'json', help: 'print what was written as JSON' },
  ],
  async run(args) {
    const [input, output, ...extra] = args.positionals;
    if (!input || !output || extra.length) throw new UsageError('expects IN and OUT');
    if (flag(args, 'external-data') && flag(args, 'embed'))
      throw new UsageError('--external-data and --embed exclude each other');
    const externalData = flag(args, 'external-data') ? true : flag(args, 'embed') ? false : undefined;
    const saved = await convertModel(input, output, { externalData });
    if (flag(args, 'json')) process.stdout.write(JSON.stringify(saved) + '\n');
    else process.stdout.write(`wrote ${saved.path}${saved.dataPath ? ` (weights in ${saved.dataPath})` : ''}\n`);
    return 0;
  },
};
