import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { escapeHtml, htmlPage, renderSvg, svgToPng, type VegaLiteSpec } from '@selfsup/eval/report';
import writeFileAtomic from 'write-file-atomic';
import { forwardLayerOrder } from './summary';
import { LAYER_METRICS, type ArmLayerSummary, type IntervalStat, type LayerMetric, type PairedDifference, type StudyFile } from './types';

const FIGURE = 'accuracy-per-layer';

/**
 * Writes `dir/index.html` (one self-contained page: inline CSS and SVG, no script, no network)
 * and the accuracy-per-layer figure beside it as SVG and PNG. Uses the study's stored summary
 * and paired differences as they are. Every file is written atomically, the page last, so a
 * reader never sees half a report or a page whose figure is missing.
 */
export async function writeStudyReport(dir: string, study: StudyFile): Promise<{ html: string; figures: string[] }> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const arms = armOrder(study);
  const layers = layerOrder(study);

  const spec = accuracySpec(study.summary, arms, layers);
  const svg = spec === null ? null : await renderSvg(spec);
  const figures: string[] = [];
  if (svg !== null) {
    figures.push(join(root, `${FIGURE}.svg`), join(root, `${FIGURE}.png`));
    await writeFileAtomic(figures[0], svg);
    await writeFileAtomic(figures[1], await svgToPng(svg));
  }
  const html = join(root, 'index.html');
  await writeFileAtomic(html, studyPage(study, arms, layers, svg));
  return { html, figures };
}

// ---------------------------------------------------------------- order

/** The arms as study.json lists them, then any the summary names that it does not. */
function armOrder(study: StudyFile): string[] {
  const names = study.arms.map((a) => a.name);
  for (const s of study.summary) if (!names.includes(s.arm)) names.push(s.arm);
  return names;
}

/** Forward order over every arm's layers (backbone stages, then head layers). */
function layerOrder(study: StudyFile): string[] {
  const fromSummary = [...new Set(study.summary.map((s) => s.arm))].map((arm) => study.summary.filter((s) => s.arm === arm));
  return forwardLayerOrder([...study.runs.map((r) => r.layers), ...fromSummary]).map((l) => l.layer);
}

// ---------------------------------------------------------------- figure

/** How each metric reads in tables: accuracies as percentages, differences in points. */
const METRIC_DISPLAY: Record<LayerMetric, { label: string; scale: number; digits: number; unit: string; diffUnit: string }> = {
  knnAccuracy: { label: 'kNN top-1', scale: 100, digits: 2, unit: '%', diffUnit: ' pp' },
  linearAccuracy: { label: 'linear-probe top-1', scale: 100, digits: 2, unit: '%', diffUnit: ' pp' },
  effectiveRank: { label: 'effective rank (RankMe)', scale: 1, digits: 2, unit: '', diffUnit: '' },
  alignment: { label: 'alignment (lower is better)', scale: 1, digits: 4, unit: '', diffUnit: '' },
  uniformity: { label: 'uniformity (lower is better)', scale: 1, digits: 4, unit: '', diffUnit: '' },
};
const ACCURACY_PANELS: [LayerMetric, string][] = [
  ['knnAccuracy', 'kNN top-1'],
  ['linearAccuracy', 'linear-probe top-1'],
];

/** The house chart style of @selfsup/eval's report, so study and run figures match. */
const CHART_CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  header: { labelFontSize: 13, labelFontWeight: 'bold' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
};

/**
 * Two panels (kNN, linear probe): mean accuracy per layer, one colour per arm, the arms side by
 * side within each layer so their 95% error bars do not hide each other.
 */
function accuracySpec(summary: readonly ArmLayerSummary[], arms: string[], layers: string[]): VegaLiteSpec | null {
  const values = ACCURACY_PANELS.flatMap(([metric, panel]) =>
    summary
      .filter((s) => s.metric === metric)
      .map((s) => ({ panel, arm: s.arm, layer: s.layer, mean: s.mean, low: s.ci95[0], high: s.ci95[1], n: s.n })),
  );
  if (values.length === 0) return null;
  const y = { type: 'quantitative', title: 'top-1 accuracy (mean, 95% CI)', axis: { format: '.0%' }, scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CHART_CONFIG,
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', sort: ACCURACY_PANELS.map(([, panel]) => panel), title: null } },
    spec: {
      width: Math.max(260, 70 * layers.length),
      height: 240,
      encoding: {
        x: { field: 'layer', type: 'nominal', sort: layers, title: 'layer (backbone → head)', axis: { labelAngle: -30, labelLimit: 140 } },
        xOffset: { field: 'arm', type: 'nominal', sort: arms },
        color: { field: 'arm', type: 'nominal', title: 'arm', scale: { domain: arms, scheme: 'tableau10' } },
      },
      layer: [
        { mark: { type: 'rule', strokeWidth: 1.6 }, encoding: { y: { field: 'low', ...y }, y2: { field: 'high' } } },
        {
          mark: { type: 'point', filled: true, size: 45, opacity: 1 },
          encoding: {
            y: { field: 'mean', ...y },
            tooltip: [{ field: 'arm' }, { field: 'layer' }, { field: 'mean', format: '.2%' }, { field: 'low', format: '.2%' }, { field: 'high', format: '.2%' }, { field: 'n' }],
          },
        },
      ],
    },
  };
}

// ---------------------------------------------------------------- page

function studyPage(study: StudyFile, arms: string[], layers: string[], svg: string | null): string {
  const figure =
    svg === null
      ? '<p class="empty">No accuracy was measured, so there is no figure.</p>'
      : `<figure>${svg}<figcaption>Mean top-1 accuracy over seeds per layer; bars are two-sided 95% Student-t intervals of the mean. <a href="${FIGURE}.png">PNG</a> · <a href="${FIGURE}.svg">SVG</a></figcaption></figure>`;
  return htmlPage({
    title: `${study.name}: head study`,
    maxWidth: 1200,
    css: `h3 { font-size: 14px; margin: 16px 0 4px; } p.note, figcaption { color: #555; font-size: 12.5px; }
table { margin: 6px 0 12px; } th, td { padding: 3px 9px; white-space: nowrap; } .dim { color: #888; }
td.excludes-zero { background: #fff3bf; font-weight: bold; }`,
    body: `<header><h1>${escapeHtml(study.name)}</h1><p class="note">Head study: ${study.arms.length} arms × ${study.seeds.length} seeds, ${study.runs.length} runs recorded.</p>
${armsTable(study)}</header>
<main>
<section id="accuracy"><h2>Accuracy per layer</h2>${figure}</section>
<section id="summary"><h2>Per arm and layer</h2><p class="note">mean ± half-width of the 95% t-interval, the interval, and n (seeds measured).</p>
${LAYER_METRICS.map((metric) => summaryTable(study.summary, metric, arms, layers)).join('\n')}</section>
<section id="differences"><h2>Paired differences</h2><p class="note">A − B over the seeds both arms ran: mean, 95% t-interval, and seeds with A − B &gt; 0 / &lt; 0 / = 0. Highlighted: an interval from two or more seeds that excludes 0.</p>
${differenceTables(study.pairedDifferences, arms, layers)}</section>
<section id="runs"><h2>Runs</h2>${runsTable(study, arms)}</section>
</main>`,
  });
}

function armsTable(study: StudyFile): string {
  const rows = study.arms.map((a) => {
    const overrides = Object.entries(a.overrides).map(([key, value]) => `${key} = ${JSON.stringify(value)}`);
    return `<tr><td>${escapeHtml(a.name)}</td><td style="text-align:left">${escapeHtml(overrides.join('; ')) || '<span class="dim">defaults</span>'}</td></tr>`;
  });
  const seeds = `<p class="note">Seeds: ${escapeHtml(study.seeds.join(', '))}</p>`;
  return `<table><thead><tr><th>arm</th><th style="text-align:left">overrides</th></tr></thead><tbody>${rows.join('')}</tbody></table>${seeds}`;
}

/** One table per metric: a row per layer, three columns (mean ± hw, interval, n) per arm. */
function summaryTable(summary: readonly ArmLayerSummary[], metric: LayerMetric, arms: string[], layers: string[]): string {
  const rows = summary.filter((s) => s.metric === metric);
  if (rows.length === 0) return '';
  const shownArms = arms.filter((arm) => rows.some((s) => s.arm === arm));
  const shownLayers = layers.filter((layer) => rows.some((s) => s.layer === layer));
  const display = METRIC_DISPLAY[metric];
  const head = `<tr><th>layer</th>${shownArms.map((arm) => `<th colspan="3">${escapeHtml(arm)}</th>`).join('')}</tr>`;
  const body = shownLayers.map((layer) => {
    const cells = shownArms.map((arm) => {
      const s = rows.find((r) => r.arm === arm && r.layer === layer);
      if (s === undefined) return '<td class="dim">–</td><td></td><td></td>';
      return `<td>${escapeHtml(meanPlusMinus(s, display))}</td><td class="dim">${escapeHtml(interval(s, display))}</td><td class="dim">${s.n}</td>`;
    });
    return `<tr><td>${escapeHtml(layer)}</td>${cells.join('')}</tr>`;
  });
  return `<h3>${escapeHtml(display.label)}${display.unit ? ` (${escapeHtml(display.unit)})` : ''}</h3>
<table><thead>${head}</thead><tbody>${body.join('\n')}</tbody></table>`;
}

/** One table per pair of arms: a row per layer, a cell per metric. */
function differenceTables(differences: readonly PairedDifference[], arms: string[], layers: string[]): string {
  const pairs: [string, string][] = [];
  for (const d of differences) if (!pairs.some(([a, b]) => a === d.armA && b === d.armB)) pairs.push([d.armA, d.armB]);
  const rank = (arm: string) => (arms.includes(arm) ? arms.indexOf(arm) : arms.length);
  pairs.sort((p, q) => rank(p[0]) - rank(q[0]) || rank(p[1]) - rank(q[1]));
  if (pairs.length === 0) return '<p class="empty">No pair of arms shares a seed.</p>';
  return pairs
    .map(([armA, armB]) => {
      const rows = differences.filter((d) => d.armA === armA && d.armB === armB);
      const metrics = LAYER_METRICS.filter((m) => rows.some((d) => d.metric === m));
      const head = `<tr><th>layer</th>${metrics.map((m) => `<th>${escapeHtml(METRIC_DISPLAY[m].label)}${METRIC_DISPLAY[m].diffUnit ? ` (${escapeHtml(METRIC_DISPLAY[m].diffUnit.trim())})` : ''}</th>`).join('')}</tr>`;
      const body = layers
        .filter((layer) => rows.some((d) => d.layer === layer))
        .map((layer) => {
          const cells = metrics.map((metric) => {
            const d = rows.find((r) => r.layer === layer && r.metric === metric);
            if (d === undefined) return '<td class="dim">–</td>';
            const display = METRIC_DISPLAY[metric];
            const excludesZero = d.n >= 2 && (d.ci95[0] > 0 || d.ci95[1] < 0);
            const text = `${signed(d.mean, display)} ${interval(d, display)} ${d.positive}+ ${d.negative}− ${d.ties}=`;
            return `<td${excludesZero ? ' class="excludes-zero"' : ''}>${escapeHtml(text)}</td>`;
          });
          return `<tr><td>${escapeHtml(layer)}</td>${cells.join('')}</tr>`;
        });
      return `<h3>${escapeHtml(armA)} − ${escapeHtml(armB)}</h3>
<table><thead>${head}</thead><tbody>${body.join('\n')}</tbody></table>`;
    })
    .join('\n');
}

function runsTable(study: StudyFile, arms: string[]): string {
  const rank = (arm: string) => (arms.includes(arm) ? arms.indexOf(arm) : arms.length);
  const runs = [...study.runs].sort((a, b) => rank(a.arm) - rank(b.arm) || a.seed - b.seed);
  const rows = runs.map(
    (r) =>
      `<tr><td>${escapeHtml(r.arm)}</td><td>${r.seed}</td><td>${escapeHtml(duration(r.wallSeconds))}</td><td>${typeof r.finalLoss === 'number' && Number.isFinite(r.finalLoss) ? escapeHtml(r.finalLoss.toFixed(4)) : '–'}</td><td style="text-align:left">${escapeHtml(r.runDir)}</td></tr>`,
  );
  return `<table><thead><tr><th>arm</th><th>seed</th><th>wall time</th><th>final loss</th><th style="text-align:left">run directory</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

// ---------------------------------------------------------------- formatting

type Display = (typeof METRIC_DISPLAY)[LayerMetric];

/** Fixed digits with a true minus sign; a value that rounds to zero shows no sign at all. */
function fixed(value: number, display: Display): string {
  const text = (value * display.scale).toFixed(display.digits);
  return isZero(text.replace('-', '')) ? text.replace('-', '') : text.replace('-', '−');
}
const isZero = (text: string) => /^0(\.0*)?$/.test(text);
const signed = (value: number, display: Display) => {
  const text = fixed(value, display);
  return value > 0 && !isZero(text) ? `+${text}` : text;
};
const meanPlusMinus = (s: IntervalStat, display: Display) => `${fixed(s.mean, display)} ± ${fixed((s.ci95[1] - s.ci95[0]) / 2, display)}`;
const interval = (s: IntervalStat, display: Display) => `[${fixed(s.ci95[0], display)}, ${fixed(s.ci95[1], display)}]`;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const [h, m, rest] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(rest).padStart(2, '0')} s`;
}

