/**
 * Files written for one export of the Compare screen from a base path the user chose: the two
 * charts (or the one CSV) get suffixes, so one choice never overwrites the other export kinds.
 */
export function exportPaths(base: string, kind: 'png' | 'svg' | 'csv'): string[] {
  const stem = base.replace(/\.(png|svg|csv)$/i, '');
  if (!stem) throw new Error('choose where to save the export');
  return kind === 'csv'
    ? [`${stem}.csv`]
    : [`${stem}-accuracy-vs-ratio.${kind}`, `${stem}-accuracy-vs-unitmem.${kind}`];
}
