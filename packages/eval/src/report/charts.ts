import type { LayerStudyRow } from '../layer-study';
import type { Embedding2D } from '../embedding';
import type { MetricsRecord } from './metrics';

/** A Vega-Lite v5 specification (kept loose: the specs below are plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  title: { fontSize: 14, anchor: 'start' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
};

const PANELS: { field: keyof MetricsRecord & string; title: string; format: string; points: boolean; log?: boolean }[] = [
  { field: 'loss', title: 'Training loss', format: '~g', points: false },
  { field: 'lr', title: 'Learning rate', format: '~g', points: false },
  { field: 'knnAccuracy', title: 'kNN accuracy (k=200, τ=0.1)', format: '.0%', points: true },
  { field: 'viewsPerSec', title: 'Throughput (views/s)', format: '~s', points: false },
];

/** Keeps finite numbers only, so NaN/strings never reach the chart. */
function numeric(rows: readonly MetricsRecord[], field: string): { step: number; value: number }[] {
  const out: { step: number; value: number }[] = [];
  rows.forEach((row, i) => {
    const v = row[field];
    if (typeof v === 'number' && Number.isFinite(v)) out.push({ step: typeof row.step === 'number' ? row.step : i, value: v });
  });
  return out;
}

/** Training curves: one small panel per metric that the run logged (loss, LR, kNN, views/s). */
export function trainingCurvesSpec(metrics: readonly MetricsRecord[]): VegaLiteSpec | null {
  const panels = PANELS.map((p) => ({ ...p, values: numeric(metrics, p.field) })).filter((p) => p.values.length > 0);
  if (panels.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    columns: 2,
    concat: panels.map((p) => ({
      title: p.title,
      width: 320,
      height: 170,
      data: { values: p.values },
      mark: { type: 'line', color: '#1f77b4', strokeWidth: 1.6, point: p.points ? { filled: true, size: 30 } : false },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step', axis: { format: '~s' } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false }, axis: { format: p.format } },
      },
    })),
  };
}

/** Layer study: kNN and linear-probe accuracy per layer, and effective rank per layer. */
export function layerStudySpec(rows: readonly LayerStudyRow[]): VegaLiteSpec | null {
  if (rows.length === 0) return null;
  const order = rows.map((r) => r.layer);
  const accuracy = rows.flatMap((r) => [
    ...(r.knnAccuracy === undefined ? [] : [{ layer: r.layer, metric: 'kNN', value: r.knnAccuracy }]),
    ...(r.linearAccuracy === undefined ? [] : [{ layer: r.layer, metric: 'linear probe', value: r.linearAccuracy }]),
  ]);
  const rank = rows.filter((r) => r.effectiveRank !== undefined).map((r) => ({ layer: r.layer, part: r.part, value: r.effectiveRank, dim: r.dim }));
  const x = { field: 'layer', type: 'ordinal', sort: order, title: 'layer (backbone → head)', axis: { labelAngle: -30, labelLimit: 140 } };
  const panels: VegaLiteSpec[] = [];
  if (accuracy.length > 0) {
    panels.push({
      title: 'Top-1 accuracy per layer',
      width: 360,
      height: 220,
      data: { values: accuracy },
      mark: { type: 'line', point: { filled: true, size: 50 }, strokeWidth: 2 },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'accuracy', axis: { format: '.0%' }, scale: { zero: false } },
        color: { field: 'metric', type: 'nominal', title: null, scale: { range: ['#1f77b4', '#d62728'] } },
      },
    });
  }
  if (rank.length > 0) {
    panels.push({
      title: 'Effective rank (RankMe) per layer',
      width: 360,
      height: 220,
      data: { values: rank },
      mark: { type: 'bar' },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'effective rank' },
        color: { field: 'part', type: 'nominal', title: null, scale: { domain: ['backbone', 'head'], range: ['#6baed6', '#fd8d3c'] } },
        tooltip: [{ field: 'layer' }, { field: 'value', format: '.1f' }, { field: 'dim' }],
      },
    });
  }
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', config: CONFIG, hconcat: panels, resolve: { scale: { color: 'independent' } } };
}

/** 2-D embedding of test features, one point per example, coloured by class. */
export function embeddingSpec(embedding: Embedding2D, classNames?: readonly string[]): VegaLiteSpec | null {
  if (embedding.points.length === 0) return null;
  const name = (label: number) => classNames?.[label] ?? String(label);
  const labels = [...new Set(embedding.points.map((p) => p.label))].sort((a, b) => a - b);
  const classes = labels.length;
  const values = embedding.points.map((p) => ({ x: p.x, y: p.y, class: name(p.label) }));
  const method = embedding.method.toUpperCase();
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    title: `${method} of ${embedding.points.length.toLocaleString('en-US')} test features${embedding.layer ? ` (${embedding.layer})` : ''}`,
    width: 480,
    height: 420,
    data: { values },
    mark: { type: 'circle', size: 14, opacity: 0.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: `${method} 1`, axis: { labels: false, ticks: false, grid: false } },
      y: { field: 'y', type: 'quantitative', title: `${method} 2`, axis: { labels: false, ticks: false, grid: false } },
      color: { field: 'class', type: 'nominal', title: 'class', sort: labels.map(name), scale: { scheme: classes <= 10 ? 'tableau10' : 'category20' } },
    },
  };
}
