import { formatNormalization } from '../../../shared/format.js';

/**
 * What a result was computed with, in one line beside its figures. The same layer's LayerMem
 * differs between runs with other views, samples or pairing, so a figure never stands without the
 * settings it came from.
 */
export function settingsLine(doc: { samples?: readonly string[]; settings: Record<string, unknown> }): string {
  const s = doc.settings as {
    views?: number;
    augment?: { kind?: string };
    pairing?: string;
    norm?: string;
    seed?: number;
    rest?: string;
  };
  const parts = [
    doc.samples ? `${doc.samples.length} samples` + (s.views ? ` × ${s.views} views` : '') : undefined,
    s.augment?.kind ? `augment ${s.augment.kind}` : undefined,
    s.pairing ? `pairing ${s.pairing}` : undefined,
    s.norm ? `norm ${s.norm}` : undefined,
    s.rest ? `rest ${s.rest}` : undefined,
    s.seed !== undefined ? `seed ${s.seed}` : undefined,
  ];
  const normalization = formatNormalization(doc.settings, 'the project');
  return [...parts, normalization && `normalization ${normalization}`].filter(Boolean).join(' · ');
}
