import type { Embedding2D } from '../embedding';
import { EvalError } from '../errors';
import type { LayerStudyRow } from '../layer-study';
import { embeddingSpec, layerStudySpec, trainingCurvesSpec, type VegaLiteSpec } from './charts';
import { renderHtml, type HtmlFigure } from './html';
import type { MetricsRecord } from './metrics';
import { renderSvg, svgToPng } from './render';

export interface ReportInput {
  title?: string;
  /** Training metrics, one object per logged step (see `MetricsRecord`). */
  metrics?: readonly MetricsRecord[];
  /** Rows from `layerStudy` (or its `rows`). */
  layerStudy?: readonly LayerStudyRow[] | { rows: readonly LayerStudyRow[] };
  /** A 2-D embedding from `embed2d`. */
  embedding?: Embedding2D;
  /** Names for class indices, in the embedding legend. */
  classNames?: readonly string[];
  /** Settings to list under "Run" (config, seed, backend, ...). */
  notes?: Record<string, string | number | boolean>;
  /** Timestamp printed in the header (default: now). */
  generatedAt?: Date | string;
  /** Also write PNG copies of the figures (default true). */
  png?: boolean;
}

export interface ReportFiles {
  /** Absolute path of index.html. */
  html: string;
  figures: { id: string; svg: string; png?: string }[];
}

/**
 * Writes `dir/index.html` (self-contained: inline SVG charts and CSS, no script, no network)
 * and `dir/figures/<id>.svg|.png` for the training curves, the layer study and the embedding,
 * whichever the input has. Every file is written to a temporary name and renamed into place, so
 * a reader never sees half a report. Node only.
 */
export async function writeReport(dir: string, input: ReportInput): Promise<ReportFiles> {
  const { mkdir, rename, writeFile, rm } = await import('node:fs/promises');
  const path = await import('node:path');
  const root = path.resolve(dir);
  const figureDir = path.join(root, 'figures');
  try {
    await mkdir(figureDir, { recursive: true });
  } catch (cause) {
    throw new EvalError({ code: 'EVAL_REPORT_DIR', problem: `cannot create ${figureDir}`, fix: 'pass a writable directory to writeReport', cause });
  }
  const atomicWrite = async (file: string, data: string | Buffer) => {
    const temp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await writeFile(temp, data);
      await rename(temp, file);
    } catch (cause) {
      await rm(temp, { force: true });
      throw new EvalError({ code: 'EVAL_REPORT_WRITE', problem: `cannot write ${file}`, fix: 'check the directory is writable and the disk has space', cause });
    }
  };

  const metrics = input.metrics ?? [];
  const layerRows = input.layerStudy === undefined ? [] : 'rows' in input.layerStudy ? input.layerStudy.rows : input.layerStudy;
  const candidates: { id: string; title: string; caption: string; spec: VegaLiteSpec | null }[] = [
    {
      id: 'training-curves',
      title: 'Training curves',
      caption: `Logged every few steps (${metrics.length} records). kNN accuracy: cosine kNN on test features, k=200, τ=0.1.`,
      spec: trainingCurvesSpec(metrics),
    },
    {
      id: 'layer-study',
      title: 'Where the representation lives: layer study',
      caption: 'Each backbone stage and each head layer: kNN and linear-probe top-1 on the test set, and effective rank (RankMe) of the test features.',
      spec: layerStudySpec(layerRows),
    },
    {
      id: 'embedding',
      title: 'Embedding of test features',
      caption: input.embedding ? `${input.embedding.method.toUpperCase()} to 2-D, coloured by class.` : '',
      spec: input.embedding ? embeddingSpec(input.embedding, input.classNames) : null,
    },
  ];
  const figures: HtmlFigure[] = [];
  const files: ReportFiles['figures'] = [];
  for (const c of candidates) {
    if (c.spec === null) continue;
    const svg = await renderSvg(c.spec);
    const svgPath = path.join(figureDir, `${c.id}.svg`);
    await atomicWrite(svgPath, svg);
    const entry: ReportFiles['figures'][number] = { id: c.id, svg: svgPath };
    if (input.png !== false) {
      entry.png = path.join(figureDir, `${c.id}.png`);
      await atomicWrite(entry.png, await svgToPng(svg));
    }
    files.push(entry);
    figures.push({ id: c.id, title: c.title, caption: c.caption, svg, ...(entry.png ? { png: `figures/${c.id}.png` } : {}) });
  }

  const generatedAt = input.generatedAt instanceof Date ? input.generatedAt.toISOString() : (input.generatedAt ?? new Date().toISOString());
  const html = renderHtml({
    title: input.title ?? 'selfsup run report',
    generatedAt,
    summary: summarize(metrics, layerRows),
    figures,
    layerStudy: layerRows,
    notes: Object.entries(input.notes ?? {}).map(([k, v]) => [k, String(v)]),
  });
  const htmlPath = path.join(root, 'index.html');
  await atomicWrite(htmlPath, html);
  return { html: htmlPath, figures: files };
}

function summarize(metrics: readonly MetricsRecord[], rows: readonly LayerStudyRow[]): [string, string][] {
  const out: [string, string][] = [];
  const last = (field: string) => {
    for (let i = metrics.length - 1; i >= 0; i--) {
      const v = metrics[i][field];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
    }
    return undefined;
  };
  if (metrics.length) out.push(['steps logged', `${metrics.length} (last step ${metrics[metrics.length - 1].step})`]);
  const loss = last('loss');
  if (loss !== undefined) out.push(['final loss', loss.toFixed(4)]);
  const knn = metrics.map((m) => m.knnAccuracy).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (knn.length) out.push(['kNN accuracy, last / best', `${(100 * knn[knn.length - 1]).toFixed(2)}% / ${(100 * Math.max(...knn)).toFixed(2)}%`]);
  const speed = metrics.map((m) => m.viewsPerSec).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (speed.length) out.push(['median views/s', median(speed).toFixed(1)]);
  const best = (field: 'knnAccuracy' | 'linearAccuracy') =>
    rows.filter((r) => r[field] !== undefined).reduce<LayerStudyRow | undefined>((a, r) => (a === undefined || (r[field] as number) > (a[field] as number) ? r : a), undefined);
  for (const [field, name] of [['linearAccuracy', 'linear probe'], ['knnAccuracy', 'kNN']] as const) {
    const b = best(field);
    if (b) out.push([`best layer, ${name}`, `${b.layer}: ${(100 * (b[field] as number)).toFixed(2)}%`]);
  }
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
