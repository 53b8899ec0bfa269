import { formatTable } from '../text-table';
import type { LayerMetric, StudyFile } from './types';

/** One metric as a text table: a row per layer, a column per arm, `mean ± half-width (n)`. */
export function formatStudyTable(study: StudyFile, metric: LayerMetric = 'knnAccuracy'): string {
  const arms = study.arms.map((a) => a.name);
  const layers = [...new Set(study.summary.filter((s) => s.metric === metric).map((s) => s.layer))];
  const percent = metric === 'knnAccuracy' || metric === 'linearAccuracy';
  const show = (v: number) => (percent ? (100 * v).toFixed(2) : v.toFixed(3));
  const cell = (arm: string, layer: string) => {
    const s = study.summary.find((x) => x.arm === arm && x.layer === layer && x.metric === metric);
    return s ? `${show(s.mean)} ± ${show((s.ci95[1] - s.ci95[0]) / 2)} (${s.n})` : '-';
  };
  const rows = [[`${metric}${percent ? ' %' : ''}`, ...arms], ...layers.map((layer) => [layer, ...arms.map((arm) => cell(arm, layer))])];
  return formatTable(rows);
}
