// Measured inference latency of an encoder: milliseconds per image at batch 1, the median of timed
// runs after warm-up (the first runs pay for allocation and kernel selection).
import { createSession } from '../infer/session.js';
import { modelInput } from '../infer/input.js';
import { encodeModel, type OnnxModel } from '../onnx/index.js';

const WARMUP = 3;
const TIMED = 15;

export async function measureLatency(model: OnnxModel, size?: [number, number]): Promise<number> {
  const input = modelInput(model, size);
  const output = model.proto.graph!.output[0].name;
  const session = await createSession(encodeModel(model.proto), {}, model.path);
  const image = {
    data: new Float32Array(input.channels * input.height * input.width),
    dims: [1, input.channels, input.height, input.width],
  };
  try {
    const times: number[] = [];
    for (let i = 0; i < WARMUP + TIMED; i++) {
      const t = performance.now();
      await session.run(input.name, image, [output]);
      if (i >= WARMUP) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    await session.release();
  }
}
