// The choices a prune request offers besides its strategy, and their defaults: read by the engine,
// the API checks, the CLI and the Prune screen. docs/PRUNING.md explains each.

export const PRUNE_SCOPES = ['layer', 'global'] as const;
export const PRUNE_MODES = ['structural', 'mask'] as const;
/**
 * How coupled layers (residual partners, whose channels are one space) are selected: 'group' ranks
 * them as one layer on their mean score per channel, as Torch-Pruning ranks groups, so the whole
 * selection is cut; 'intersection' ranks each alone and cuts only the channels all of them chose.
 */
export const COUPLINGS = ['group', 'intersection'] as const;
/**
 * What an attention layer loses (docs/PRUNING.md, "Attention"): 'dims' cuts the same dimensions
 * from every head's q, k and v (heads keep their count), 'heads' cuts whole heads.
 */
export const ATTENTION_UNITS = ['dims', 'heads'] as const;

/** Each request field that takes one of a list, with its list: the engine checks them from here. */
export const PRUNE_CHOICES = {
  scope: PRUNE_SCOPES,
  mode: PRUNE_MODES,
  coupling: COUPLINGS,
  attention: ATTENTION_UNITS,
} as const;

export type PruneScope = (typeof PRUNE_SCOPES)[number];
export type PruneMode = (typeof PRUNE_MODES)[number];
export type Coupling = (typeof COUPLINGS)[number];
export type AttentionUnit = (typeof ATTENTION_UNITS)[number];

export const PRUNE_DEFAULTS = {
  mode: 'structural' as PruneMode,
  coupling: 'group' as Coupling,
  attention: 'dims' as AttentionUnit,
  /** Cut groups keep a multiple of this many channels; 1 = no alignment (every selected channel is cut). */
  align: 1,
  seed: 0,
};
