import type { PruneResult, PruneStrategy } from '../../../shared/api.js';

export interface PrunePreviewRow {
  layer: string;
  units: number;
  removed: number;
  /** removed / units, for the bar that shows how much of the layer goes. */
  fraction: number;
}

/** Per-layer view of a prune preview, in the layers' (forward) order; layers where nothing goes show 0. */
export function previewRows(preview: PruneResult, layers: readonly { name: string; units: number }[]): PrunePreviewRow[] {
  return layers.map((l) => {
    const removed = preview.removed[l.name]?.length ?? 0;
    return { layer: l.name, units: l.units, removed, fraction: l.units > 0 ? removed / l.units : 0 };
  });
}

/** A default export path next to the source model that never equals it: model-low-20.onnx. */
export function prunedModelPath(model: string, strategy: PruneStrategy, ratio: number, scope: 'layer' | 'global'): string {
  const base = model.replace(/\.onnx$/i, '');
  return `${base}-${strategy}-${Math.round(ratio * 100)}${scope === 'global' ? '-global' : ''}.onnx`;
}

/** Provenance entries in a stable order for display (the engine writes them as metadata_props). */
export function provenanceEntries(p: PruneResult): [string, string][] {
  return Object.entries(p.provenance ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
