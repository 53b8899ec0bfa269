import type { LayerStudyRow } from '../layer-study';

/** The rows as a fixed-width text table (for a terminal or a log). */
export function formatLayerTable(rows: readonly LayerStudyRow[]): string {
  const pct = (v?: number) => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
  const cells = [
    ['layer', 'dims', 'kNN', 'linear', 'eff. rank'],
    ...rows.map((r) => [r.layer, String(r.dim), pct(r.knnAccuracy), pct(r.linearAccuracy), r.effectiveRank === undefined ? '-' : r.effectiveRank.toFixed(1)]),
  ];
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  return [line(cells[0]), widths.map((wd) => '-'.repeat(wd)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
