// How coupled layers (the source layers of one group and the depthwise convs that follow them) are
// selected. With coupling 'group' (the default) they are ranked as one layer on their mean score per
// channel, so they select the same channels and the whole selection is cut (Torch-Pruning ranks
// groups the same way). With 'intersection' each layer is ranked on its own and a channel is cut only
// where all sources selected it (apply.ts); the rest of the selection is masked.
import { channelIndices, type Group } from './groups.js';
import { headUnits } from './heads.js';
import type { ScoredLayer } from './select.js';

export interface Coupled {
  /** Layers to rank: partners merged into one entry named `a+b`. */
  layers: ScoredLayer[];
  /** Gives every partner the selection of its merged entry. */
  expand(selection: Map<string, number[]>): Map<string, number[]>;
}

export function rankCoupledTogether(layers: ScoredLayer[], groups: Group[]): Coupled {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const members = new Map<string, ScoredLayer[]>();
  for (const g of groups) {
    // Depthwise followers lose the group's channels whatever they select: they rank with it too.
    const all = [...g.sources, ...g.followers];
    const partners = all.map((s) => byName.get(s.layer.name));
    const plain = all.every((s) => s.map.offset === 0 && s.map.block === 1 && s.layer.units === g.channels);
    // A blocked group is masked whatever its layers select: each keeps its own ranking.
    if (partners.length < 2 || !plain || g.blocked || partners.some((p) => !p)) continue;
    members.set(partners[0]!.name, partners as ScoredLayer[]);
  }
  // A fused q/k/v layer ranks its heads or head dimensions (heads.ts): each on the mean score of its
  // q, k and v units.
  const heads = new Map<string, Group>();
  for (const g of groups) {
    const name = g.heads && g.sources[0].layer.name;
    if (name && byName.has(name)) heads.set(name, g);
  }
  const merged = new Map<string, ScoredLayer[]>();
  // Separate q, k and v projections rank as the first of them.
  const skip = new Set([
    ...[...members.values()].flatMap((ps) => ps.slice(1).map((p) => p.name)),
    ...[...heads.values()].flatMap((g) => g.sources.map((s) => s.layer.name).filter((n) => !heads.has(n))),
  ]);
  const out = layers.flatMap((l): ScoredLayer[] => {
    if (skip.has(l.name)) return [];
    const g = heads.get(l.name);
    if (g) {
      const perHead = (score: (l?: ScoredLayer) => ArrayLike<number> | undefined) => {
        const of = g.sources.map((s) => ({ s, v: score(byName.get(s.layer.name)) }));
        if (of.some((x) => !x.v)) return undefined;
        return Array.from({ length: g.channels }, (_, c) =>
          mean(of.flatMap(({ s, v }) => channelIndices(s.map, c).map((u) => v![u]))),
        );
      };
      return [
        {
          name: l.name,
          units: g.channels,
          // Units of the model per channel: the budget of scope global counts them.
          layers: g.sources.reduce((n, s) => n + s.map.block, 0),
          unitmem: perHead((x) => x?.unitmem),
          norm: perHead((x) => x?.norm && relative(x.norm)),
          whole: headUnits(g.heads!),
        },
      ];
    }
    const ps = members.get(l.name);
    if (!ps) return [l];
    const name = ps.map((p) => p.name).join('+');
    merged.set(name, ps);
    return [
      {
        name,
        units: l.units,
        layers: ps.length,
        unitmem: meanOf(ps.map((p) => p.unitmem)),
        norm: meanOf(ps.map((p) => p.norm && relative(p.norm))),
      },
    ];
  });
  return {
    layers: out,
    expand(selection) {
      const full = new Map<string, number[]>();
      for (const [name, units] of selection) {
        const g = heads.get(name);
        if (g)
          for (const layer of new Set(g.sources.map((s) => s.layer.name)))
            full.set(
              layer,
              units
                .flatMap((c) =>
                  g.sources.filter((s) => s.layer.name === layer).flatMap((s) => channelIndices(s.map, c)),
                )
                .sort((a, b) => a - b),
            );
        else for (const p of merged.get(name) ?? [{ name }]) full.set(p.name, units);
      }
      return full;
    },
  };
}

/** Element-wise mean of the partners' scores; undefined when one of them has none. */
function meanOf(scores: (ArrayLike<number> | undefined)[]): number[] | undefined {
  if (scores.some((s) => !s)) return undefined;
  return Array.from({ length: scores[0]!.length }, (_, u) => scores.reduce((sum, s) => sum + s![u], 0) / scores.length);
}

function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/** Weight norms over their layer's mean, so partners of different scale weigh the same. */
function relative(norm: ArrayLike<number>): number[] {
  const mean = Array.from(norm).reduce((a, b) => a + b, 0) / norm.length;
  return Array.from(norm, (v) => (mean > 0 ? v / mean : 0));
}
