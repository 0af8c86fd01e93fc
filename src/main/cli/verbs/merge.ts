import { classMemCsv, layerMemCsv, unitMemCsv } from '../../engine/metrics/csv.js';
import { mergeParts } from '../../engine/metrics/merge.js';
import type { ClassMemResult, LayerMemResult, UnitMemResult } from '../../../shared/api.js';
import { writeFileAtomic } from '../../engine/files.js';
import { str, UsageError } from '../args.js';
import { CSV_OPTION } from '../metric-verb.js';
import { emitResult, JSON_OPTION } from '../output.js';
import type { Verb } from '../verb.js';

/** A merged document as CSV, by its kind. */
function csvOf(doc: UnitMemResult | ClassMemResult | LayerMemResult): string {
  if (doc.schema === 'memlens.unitmem/1') return unitMemCsv(doc);
  if (doc.schema === 'memlens.classmem/1') return classMemCsv(doc);
  return layerMemCsv(doc);
}

export const merge: Verb = {
  name: 'merge',
  summary: 'combine the parts of unitmem/classmem/layermem --shard I/N runs into one document',
  usage: 'merge PART... --out F [--csv F] [--json]',
  description:
    'Combines the part files that unitmem, classmem or layermem wrote with --shard I/N (every shard of one run, each once, each finished) into the document a single run writes (docs/SCALE.md).',
  options: [{ name: 'out', value: 'F', help: 'write the merged document (JSON) to F' }, CSV_OPTION, JSON_OPTION],
  async run(args) {
    const parts = args.positionals;
    if (parts.length === 0 || (!str(args, 'out') && !args.options.has('json')))
      throw new UsageError('needs PART... and --out F (or --json)');
    const doc = await mergeParts(parts);
    const csvPath = str(args, 'csv');
    if (csvPath) await writeFileAtomic(csvPath, csvOf(doc));
    await emitResult(
      args,
      doc,
      () =>
        `merged ${parts.length} parts of ${doc.schema} over ${'samples' in doc ? doc.samples.length + ' samples' : doc.classes.length + ' classes'}`,
    );
    return 0;
  },
};
