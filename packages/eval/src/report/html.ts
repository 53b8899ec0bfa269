import type { LayerStudyRow } from '../layer-study';

export interface HtmlFigure {
  id: string;
  title: string;
  caption: string;
  svg: string;
  png?: string;
}

export interface HtmlReport {
  title: string;
  generatedAt: string;
  summary: [string, string][];
  figures: HtmlFigure[];
  layerStudy: readonly LayerStudyRow[];
  notes: [string, string][];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(100 * v).toFixed(2)}%`);
const num = (v: number | undefined, digits = 1) => (v === undefined ? '–' : v.toFixed(digits));

function table(headers: string[], rows: string[][], className = ''): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * A self-contained page: a strict Content-Security-Policy (inline styles and data: images only;
 * no script, no request), selfsup's base style plus `css`, and `body`. Every selfsup HTML page
 * (run reports, study reports) is one of these; the caller escapes what it puts in `body`.
 */
export function htmlPage({ title, body, css = '', maxWidth = 1100 }: { title: string; body: string; css?: string; maxWidth?: number }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: ${maxWidth}px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #e5e5e5; padding-bottom: 4px; }
figure { margin: 0; } figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 10px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 3px 10px; text-align: right; } th { background: #f6f6f6; }
td:first-child, th:first-child { text-align: left; }
.empty { color: #a00; }
${css}
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/**
 * One self-contained page: inline CSS and inline SVG figures, no script and no external URL, so
 * it opens offline, from a file, anywhere. PNG copies are linked by relative path.
 */
export function renderHtml(report: HtmlReport): string {
  const figures = report.figures
    .map(
      (f) => `<section id="${escapeHtml(f.id)}">
<h2>${escapeHtml(f.title)}</h2>
<figure>${f.svg}
<figcaption>${escapeHtml(f.caption)}${f.png ? ` <a href="${escapeHtml(f.png)}">PNG</a>` : ''}</figcaption>
</figure>
${f.id === 'layer-study' ? layerTable(report.layerStudy) : ''}
</section>`,
    )
    .join('\n');
  const summary = report.summary.length ? table(['', ''], report.summary, 'summary') : '';
  const notes = report.notes.length ? `<section id="run"><h2>Run</h2>${table(['setting', 'value'], report.notes, 'notes')}</section>` : '';
  const empty = report.figures.length === 0 ? '<p class="empty">Nothing to show yet: pass metrics, a layer study or an embedding.</p>' : '';
  return htmlPage({
    title: report.title,
    maxWidth: 1100,
    css: `.meta { color: #666; margin: 0 0 12px; } figcaption { color: #555; font-size: 12.5px; margin-top: 4px; }
table.summary th { display: none; } table.summary td:first-child { color: #555; }`,
    body: `<header><h1>${escapeHtml(report.title)}</h1><p class="meta">generated ${escapeHtml(report.generatedAt)} by @selfsup/eval</p>${summary}</header>
<main>
${empty}${figures}
${notes}
</main>`,
  });
}

function layerTable(rows: readonly LayerStudyRow[]): string {
  return table(
    ['layer', 'part', 'dims', 'kNN top-1', 'linear top-1', 'effective rank'],
    rows.map((r) => [r.layer, r.part, String(r.dim), pct(r.knnAccuracy), pct(r.linearAccuracy), num(r.effectiveRank)]),
    'layers',
  );
}
