// The image input a model takes: [N, C, H, W] read from the graph, `size` filling dynamic dims.
import { MemLensError } from '../errors.js';
import type { OnnxModel } from '../onnx/index.js';

export interface InputSpec {
  name: string;
  channels: 1 | 3;
  height: number;
  width: number;
}

export function modelInput(model: OnnxModel, size?: [number, number]): InputSpec {
  const g = model.proto.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  const input = g.input.find((i) => !inits.has(i.name));
  if (!input)
    throw new MemLensError(
      'BAD_MODEL',
      `${model.path}: the graph has no input; MemLens needs an image input [N, C, H, W]`,
    );
  const dims = (input.type?.tensor_type?.shape?.dim ?? []).map((d) => (d.dim_value ? Number(d.dim_value) : undefined));
  const shown = `[${dims.map((d) => d ?? '?').join(', ')}]`;
  if (dims.length !== 4) {
    throw new MemLensError(
      'BAD_MODEL',
      `${model.path}: input ${input.name} has shape ${shown}; MemLens needs images [N, C, H, W]`,
    );
  }
  const [, c, h, w] = dims;
  if (c !== 1 && c !== 3) {
    throw new MemLensError(
      'BAD_MODEL',
      `${model.path}: input ${input.name} ${shown} must take 1 (gray) or 3 (RGB) channels`,
    );
  }
  const fixed = h !== undefined && w !== undefined;
  if (size && fixed && (size[0] !== h || size[1] !== w)) {
    throw new MemLensError(
      'BAD_INPUT',
      `--size ${size[0]}x${size[1]} does not fit ${model.path}, whose input is fixed at ${h}x${w}`,
    );
  }
  const height = size?.[0] ?? h;
  const width = size?.[1] ?? w;
  if (height === undefined || width === undefined) {
    throw new MemLensError(
      'BAD_INPUT',
      `${model.path}: input ${input.name} ${shown} has a dynamic image size; pass --size HxW`,
    );
  }
  return { name: input.name, channels: c, height, width };
}
