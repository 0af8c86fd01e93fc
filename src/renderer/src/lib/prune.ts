import type { PruneResult, PruneStrategy } from '../../../shared/api.js';

export interface PrunePreviewRow {
  layer: string;
  units: number;
  /** Units the strategy selected, those removed from the model and those only zeroed. */
  selected: number;
  cut: number;
  masked: number;
  /** cut / units, for the bar that shows how much of the layer goes. */
  fraction: number;
}

/** Per-layer view of a prune preview, in the layers' (forward) order; layers the preview did not rank show 0. */
export function previewRows(
  preview: PruneResult,
  layers: readonly { name: string; units: number }[],
): PrunePreviewRow[] {
  const byName = new Map(preview.layers.map((l) => [l.name, l]));
  return layers.map((l) => {
    const r = byName.get(l.name);
    const [selected, cut, masked] = r ? [r.selected, r.cut, r.masked] : [0, 0, 0];
    return { layer: l.name, units: l.units, selected, cut, masked, fraction: l.units > 0 ? cut / l.units : 0 };
  });
}

/** Layers left out of the ranking, from the per-layer "prune" checkboxes (every layer is in by default). */
export function excludedLayers(included: Record<string, boolean>): string[] {
  return Object.entries(included)
    .filter(([, on]) => !on)
    .map(([name]) => name);
}

/** A default export path next to the source model that never equals it: model-low-20.onnx. */
export function prunedModelPath(
  model: string,
  strategy: PruneStrategy,
  ratio: number,
  scope: 'layer' | 'global',
): string {
  const base = model.replace(/\.onnx$/i, '');
  return `${base}-${strategy}-${Math.round(ratio * 100)}${scope === 'global' ? '-global' : ''}.onnx`;
}

/** Provenance entries in a stable order for display (the engine writes them as metadata_props). */
export function provenanceEntries(p: PruneResult): [string, string][] {
  return Object.entries(p.provenance ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
