// The fine-tuned encoder as a standalone ONNX model: trained tensors written back as initializers,
// optionally the linear head as an extra output, provenance in metadata_props; saved atomically.
import {
  copyMessage,
  create,
  DataType,
  float32Tensor,
  opsetVersion,
  replaceInitializers,
  saveModel,
  setMetadata,
  type ModelProto,
  type OnnxModel,
} from '../onnx/index.js';
import { Emitter } from './emit.js';
import type { Param } from './loop.js';
import { emitHead } from './training.js';

export const HEAD_OUTPUT = 'logits';
/** The provenance key holding the layers a run trained (JSON), which compare reads back (runs.ts). */
export const LAYERS_KEY = 'memlens.finetune.layers';
/** What a run's document adds to its export's name: X.onnx (or X) gives X.finetune.json. */
export const RUN_SUFFIX = '.finetune.json';

/** The head on the first output, as the extra output `logits` (the embedding output stays). */
function appendHead(proto: ModelProto, weight: Param, bias: Param, rank: number): ModelProto {
  const graph = proto.graph!;
  const e = new Emitter(opsetVersion(proto), DataType.FLOAT, 'memlens_head');
  emitHead(e, graph.output[0].name, rank, HEAD_OUTPUT);
  return copyMessage(proto, {
    graph: copyMessage(graph, {
      node: [...graph.node, ...e.nodes],
      initializer: [
        ...graph.initializer,
        float32Tensor(weight.name, weight.dims, weight.data),
        float32Tensor(bias.name, bias.dims, bias.data),
      ],
      output: [...graph.output, create('ValueInfoProto', { name: HEAD_OUTPUT })],
    }),
  });
}

export interface ExportRequest {
  source: OnnxModel;
  /** Trained encoder tensors (written back) and, when `head` is set, the head's weight and bias. */
  encoder: Param[];
  head?: { weight: Param; bias: Param; embeddingRank: number };
  provenance: Record<string, string>;
  out: string;
}

export async function exportFinetuned(req: ExportRequest): Promise<void> {
  let proto = replaceInitializers(
    req.source.proto,
    req.encoder.map((p) => float32Tensor(p.name, p.dims, p.data)),
  );
  if (req.head) proto = appendHead(proto, req.head.weight, req.head.bias, req.head.embeddingRank);
  await saveModel(setMetadata(proto, req.provenance), req.out, { source: req.source });
}
