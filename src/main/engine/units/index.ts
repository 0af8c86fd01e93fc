/**
 * Layer and unit discovery (docs/METRICS.md "Layers and activations").
 * - `discoverLayers(model: { proto }, index?) -> LayerInfo[]`: every Conv/Gemm/MatMul with a constant
 *   weight (prunable: true) with kind (conv, depthwise-conv, linear, attention-proj, mlp-fc1, mlp-fc2),
 *   units, params (weight + bias), activation tensor (after bias/BN/activation, Gelu and SiLU patterns
 *   included) and ViT block; plus extra rows (prunable: false): residual-add (CNNs, after its ReLU),
 *   sublayer-output (ViT attention/MLP after the residual add, with block), pool. Forward order.
 *   Each row carries its node (`output`), weight and bias (`weights`), and where its units are read under
 *   each activation policy (`read.rate`, `read.raw`: tensor, unit axis, offset, transform; read.ts,
 *   docs/UNITS.md), or `noUnits`, the reason it has no unit axis.
 * - `inspectModel(path): Promise<ModelInfo>` (the API's inspect call) and
 *   `modelInfo(model: OnnxModel, layers?) -> ModelInfo`: the `inspect` document (params = float
 *   initializer elements; flops = 2 x MACs of Conv/Gemm/MatMul per sample).
 * - `estimateFlops(index)`, `weightLayer(index, node) -> WeightLayer | undefined`,
 *   `activationChain(index, tensor, units)`, `activationTensor(index, tensor, units)`.
 */
export { discoverLayers } from './discover.js';
export { inspectModel, modelInfo, estimateFlops } from './model-info.js';
export { weightLayer, type WeightLayer } from './layers.js';
export { activationChain, activationTensor, type ChainStep } from './chain.js';
