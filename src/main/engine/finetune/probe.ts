// Tensor shapes by running the model: every node output becomes a graph output and onnxruntime
// reports its shape. Two runs at different batch sizes tell which dimensions follow the batch
// (those come back as null), so gradient rules can use static attributes for everything else
// without a shape-inference engine of their own.
import * as ort from 'onnxruntime-node';
import { MemLensError } from '../errors.js';
import { copyMessage, create, type ModelProto } from '../onnx/schema.js';
import type { Dim } from './grad/index.js';
import { ortSession } from './runtime.js';

export type Shapes = Map<string, Dim[]>;

/** `feeds` holds one feed per run (e.g. batch 1 and batch 2); a dimension that differs is null. */
export async function probeShapes(model: ModelProto, feeds: Record<string, ort.Tensor>[]): Promise<Shapes> {
  const graph = model.graph!;
  const known = new Set(graph.output.map((o) => o.name));
  const extra = graph.node.flatMap((n) => n.output.filter((o) => o && !known.has(o)));
  const tapped = copyMessage(model, {
    graph: copyMessage(graph, {
      output: [...graph.output, ...extra.map((name) => create('ValueInfoProto', { name }))],
    }),
  });
  // Run as the training sessions are (runtime.ts): a fed weight's blocked copy is made in JS.
  const probe = await ortSession(tapped, 'the model (shape probe)', { cpuOnly: true, threads: 1 });
  const names = [...graph.output.map((o) => o.name), ...extra];
  const shapes: Shapes = new Map(graph.initializer.map((t) => [t.name, t.dims.map(Number)]));
  const merge = (name: string, dims: readonly (readonly number[])[]) =>
    shapes.set(
      name,
      dims[0].map((d, a) => (dims.every((ds) => ds[a] === d) ? d : null)),
    );
  try {
    const runs = [];
    for (const f of feeds) runs.push(await probe.run(f, names));
    for (const name of Object.keys(feeds[0]))
      merge(
        name,
        feeds.map((f) => f[name].dims),
      );
    for (const name of names)
      merge(
        name,
        runs.map((r) => r[name].dims),
      );
  } catch (e) {
    throw new MemLensError('BAD_MODEL', `cannot run the model to read its tensor shapes: ${(e as Error).message}`);
  } finally {
    await probe.session.release();
  }
  return shapes;
}
