// Defaults the engine applies and the app's forms start from, defined once so that the CLI and the
// app measure the same numbers unless the user asks for others.

/** Augmented views per candidate for UnitMem. */
export const DEFAULT_UNITMEM_VIEWS = 10;
/** Views per candidate for LayerMem (5 views: 10 pairs per candidate). */
export const DEFAULT_LAYERMEM_VIEWS = 5;
