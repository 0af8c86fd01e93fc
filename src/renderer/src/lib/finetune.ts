import type { LayerMemResult } from '../../../shared/api.js';

export interface RankedLayer {
  name: string;
  delta: number;
  layermem: number;
}

/** Layers by DeltaLayerMem, highest first: where the encoder memorizes most beyond the layer before. */
export function rankLayers(layermem: LayerMemResult, trainable?: ReadonlySet<string>): RankedLayer[] {
  return layermem.layers
    .filter((l) => !trainable || trainable.has(l.name))
    .map((l) => ({ name: l.name, delta: l.delta, layermem: l.layermem }))
    .sort((a, b) => b.delta - a.delta);
}

/**
 * The engine's `--layers auto` choice: the k layers with the highest DeltaLayerMem (k = 3 as
 * finetune/select.ts DEFAULT_AUTO_LAYERS; the renderer cannot import engine modules).
 */
export function autoChoice(ranked: readonly RankedLayer[], k = 3): string[] {
  return ranked.slice(0, k).map((l) => l.name);
}
