/**
 * The ONNX engine: lossless read/write of ONNX models with protobufjs, and queries over the graph.
 *
 * Files and models
 * - `loadModel(path): Promise<OnnxModel>` — { proto, path, dir, sha256, externalData }; external
 *   tensors are read into raw_data (views, no copy). MemLensError BAD_MODEL/NOT_FOUND/BAD_INPUT with a
 *   one-line message naming the file (empty, corrupt, truncated, directory, missing side file, not ONNX).
 * - `saveModel(proto, path, { externalData?, source? }): Promise<SavedModel>` — atomic; refuses to
 *   write over `source` or its side files; externalData moves initializers >= 1 KiB to "<file>.data".
 * - `convertModel(in, out, { externalData? })`: re-save (default: keep the source's layout).
 * - `decodeModel(bytes, source?)`, `encodeModel(proto): Uint8Array` (what InferenceSession.create takes),
 *   `encodeModelChunks(proto): Uint8Array[]` (for writing; weights are not copied).
 *
 * Schema (schema.ts): TS interfaces ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 *   SparseTensorProto, ValueInfoProto, TypeProto, FunctionProto, TrainingInfoProto, ...; enums DataType,
 *   AttributeType, DataLocation. int64 fields are numbers (bigint beyond ±2^53). Unknown fields survive.
 *   `create(name, props)` makes a message that behaves like a decoded one; `copyMessage(msg, changes)`
 *   copies one (prototype defaults and unknown fields kept) — use both instead of object literals.
 *
 * Tensors (tensor.ts): `tensorToFloat32(t)` (view when aligned), `tensorToInts(t)`, `tensorToNumbers(t)`,
 *   `float32Tensor(name, dims, data)`, `int64Tensor(name, dims, values)`, `elementCount(t)`,
 *   `elementBytes(type)`; `forEachTensor(model, fn)` visits every tensor (walk.ts).
 *
 * Graph (graph-index.ts): `indexModel(proto, inputShapes?)` (or `new GraphIndex(graph, opset,
 *   inputShapes?)`) with producer(t), consumers(t), initializer(name), constantTensor(name),
 *   isConstant(name), node(name), valueInfo(name), inputs(), opset, topologicalOrder(),
 *   shape(t) -> (number|string)[] | undefined (declared, else inferred statically with shape subgraphs
 *   constant-folded; symbolic dims such as "batch" kept; shapes.ts). Attribute readers: attr, attrInt,
 *   attrInts, attrFloat, attrString. Symbolic dim arithmetic: mulDims, divDims, dimPerSample.
 *
 * Edits (edit.ts; pure, return a copy sharing untouched parts): addOutputs(proto, taps) (mean
 *   taps, opset-aware), sliceInitializer(t, axis, keep), removeNodes(proto, nodes), rewire(proto, from,
 *   to), removeUnused(proto), replaceInitializers(proto, tensors), setMetadata(proto, entries),
 *   setOpset(proto, version, domain?), opsetVersion(proto, domain?), node(op, inputs, outputs, name,
 *   ints?), and editGraph(proto, draft => ...) for anything else.
 */
export * from './schema.js';
export { decodeModel, encodeModel, encodeModelChunks } from './codec.js';
export { loadModel, saveModel, type OnnxModel, type SaveOptions, type SavedModel } from './model-file.js';
export { EXTERNAL_THRESHOLD } from './external-data.js';
export { warmRuntime } from './runtime-warmup.js';
export { convertModel, type ConvertOptions } from './convert.js';
export * from './tensor.js';
export { forEachTensor, forEachGraphTensor } from './walk.js';
export { GraphIndex, indexModel, attr, attrFloat, attrInt, attrInts, attrString, sameShape } from './graph-index.js';
export { inferShapes, type Dim, type InputShapes } from './shapes.js';
export { dimPerSample, divDims, mulDims, sameDims } from './dims.js';
export * from './edit.js';
export { opsetVersion, setOpset } from './opset.js';
