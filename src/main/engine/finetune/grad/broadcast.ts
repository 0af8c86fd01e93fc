// Numpy-style broadcasting in reverse: the gradient of a broadcast input is the output gradient
// summed over the axes that input was stretched along (missing leading axes and size-1 axes).
import type { Emitter } from '../emit.js';
import type { Dim } from './rule.js';

export function unbroadcast(e: Emitter, g: string, gShape: Dim[], input: string, inShape: Dim[]): string {
  const offset = gShape.length - inShape.length;
  const axes: number[] = [];
  for (let a = 0; a < gShape.length; a++) {
    if (a < offset) axes.push(a);
    else if (inShape[a - offset] === 1 && gShape[a] !== 1) axes.push(a);
  }
  if (axes.length === 0) return g;
  const summed = e.reduceSum(g, axes, true);
  return offset > 0 ? e.reshapeLike(summed, input) : summed;
}
