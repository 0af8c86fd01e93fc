// `memlens merge`: the parts of every shard of one run folded into the document a single run
// writes (docs/SCALE.md "Shards").
import { dirname, resolve } from 'node:path';
import type { ClassMemResult, LayerMemResult, UnitMemResult } from '../../../shared/api.js';
import { MemLensError } from '../errors.js';
import { mergeClassMem, type ClassMemPart } from './classmem-job.js';
import { mergeLayerMem, type LayerMemPart } from './layermem-job.js';
import { orderParts, partSchema, readPart } from './part.js';
import { mergeUnitMem, type UnitMemPart } from './unitmem-job.js';

export async function mergeParts(paths: string[]): Promise<UnitMemResult | ClassMemResult | LayerMemResult> {
  const read = await Promise.all(paths.map(async (path) => ({ path, part: await readPart<unknown>(path) })));
  const parts = orderParts(read);
  switch (parts[0].schema) {
    case partSchema('unitmem'): {
      const dirs = parts.map((p) => dirname(resolve(read.find((r) => r.part === p)!.path)));
      return mergeUnitMem(parts as UnitMemPart[], dirs);
    }
    case partSchema('classmem'):
      return mergeClassMem(parts as ClassMemPart[]);
    case partSchema('layermem'):
      return mergeLayerMem(parts as LayerMemPart[]);
    default:
      throw new MemLensError(
        'BAD_INPUT',
        `${paths[0]} is a part of kind '${parts[0].schema}', which merge does not know`,
      );
  }
}
