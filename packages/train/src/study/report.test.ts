import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStudyReport } from './report';
import { summarizeStudy } from './summary';
import type { LayerMetrics, StudyFile, StudyRunRecord } from './types';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'selfsup-study-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ARMS = ['joint', 'parametric', 'none'];
const SEEDS = [1, 2, 3];
const BACKBONE = ['backbone.stage1', 'backbone.stage2'];
const HEAD = ['head.0', 'head.1'];

/** kNN at backbone.stage2, per arm and seed: chosen so the report's numbers can be checked by hand. */
const STAGE2_KNN: Record<string, number[]> = { joint: [0.6, 0.62, 0.64], parametric: [0.61, 0.6, 0.65], none: [0.5, 0.54, 0.52] };

function run(arm: string, seed: number, index: number): StudyRunRecord {
  const layers: LayerMetrics[] = [...BACKBONE, ...(arm === 'none' ? [] : HEAD)].map((layer, depth) => ({
    layer,
    part: layer.startsWith('head') ? 'head' : 'backbone',
    dim: 64,
    knnAccuracy: layer === 'backbone.stage2' ? STAGE2_KNN[arm][index] : 0.4 + 0.03 * depth + 0.01 * index,
    linearAccuracy: 0.45 + 0.03 * depth + 0.005 * index * index,
    effectiveRank: 20 - depth + index,
    alignment: 0.5 + 0.1 * depth,
    uniformity: -2 - 0.1 * index,
  }));
  return { arm, seed, runDir: `${arm}/seed-${seed}`, wallSeconds: 3725 + index, ...(arm === 'none' && seed === 3 ? {} : { finalLoss: 1.23456 }), layers };
}

function study(name: string, runs: StudyRunRecord[]): StudyFile {
  return {
    format: 'selfsup-study/1',
    name,
    arms: ARMS.map((arm) => ({ name: arm, overrides: arm === 'none' ? { 'model.head': 'none' } : { 'model.head': arm, note: '<b>' } })),
    seeds: SEEDS,
    runs,
    ...summarizeStudy(runs, ARMS),
  };
}

describe('writeStudyReport', () => {
  const runs = ARMS.flatMap((arm) => SEEDS.map((seed, i) => run(arm, seed, i)));

  it('writes a self-contained page with every arm, layer and interval, and the figure as SVG and PNG', async () => {
    const out = await writeStudyReport(join(dir, 'study'), study('heads <v1> & co', runs));
    const html = await readFile(out.html, 'utf8');
    expect(out.html).toBe(join(dir, 'study', 'index.html'));

    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|src="http|href="http|url\(http/);
    expect(html).toContain('<title>heads &lt;v1&gt; &amp; co: head study</title>');
    expect(html).toContain('note = &quot;&lt;b&gt;&quot;');
    expect(html).not.toContain('<b>');
    for (const arm of ARMS) expect(html).toContain(`<th colspan="3">${arm}</th>`);
    for (const layer of [...BACKBONE, ...HEAD]) expect(html).toContain(`<td>${layer}</td>`);
    // Layers in forward order in every table.
    const positions = [...BACKBONE, ...HEAD].map((layer) => html.indexOf(`<td>${layer}</td>`, html.indexOf('id="summary"')));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    // joint, stage2 kNN: 0.60, 0.62, 0.64 → 62.00% ± t(2)·2/√3 = 4.97 points → [57.03, 66.97], n = 3.
    expect(html).toContain('<td>62.00 ± 4.97</td><td class="dim">[57.03, 66.97]</td><td class="dim">3</td>');
    // joint − none, stage2 kNN: 0.10, 0.08, 0.12 → +10.00 [5.03, 14.97], all three positive: excludes 0.
    expect(html).toContain('<td class="excludes-zero">+10.00 [5.03, 14.97] 3+ 0− 0=</td>');
    // joint − parametric, stage2 kNN: −0.01, 0.02, −0.01 → mean 0, sd √3/100, half-width t(2)·0.01 = 4.30: includes 0.
    expect(html).toContain('<td>0.00 [−4.30, 4.30] 1+ 2− 0=</td>');

    // The run list: arm order, then seed; 3725 s = 1 h 02 min; a missing final loss shows as a dash.
    expect(html).toContain('<tr><td>joint</td><td>1</td><td>1 h 02 min</td><td>1.2346</td><td style="text-align:left">joint/seed-1</td></tr>');
    expect(html).toContain('<tr><td>none</td><td>3</td><td>1 h 02 min</td><td>–</td>');

    expect(out.figures.map((f) => f.slice(join(dir, 'study').length + 1))).toEqual(['accuracy-per-layer.svg', 'accuracy-per-layer.png']);
    for (const file of out.figures) expect((await stat(file)).size).toBeGreaterThan(1000);
    const svg = await readFile(out.figures[0], 'utf8');
    expect(html).toContain(svg);
    for (const text of [...ARMS, 'kNN top-1', 'linear-probe top-1', 'head.1']) expect(svg).toContain(`>${text}</text>`);
    expect((await sharp(out.figures[1]).metadata()).format).toBe('png');
    expect((await readdir(join(dir, 'study'))).sort()).toEqual(['accuracy-per-layer.png', 'accuracy-per-layer.svg', 'index.html']);
  });

  it('writes the page without a figure when no accuracy was measured', async () => {
    const noAccuracy = runs.map((r) => ({ ...r, layers: r.layers.map(({ knnAccuracy: _k, linearAccuracy: _l, ...rest }) => rest) }));
    const out = await writeStudyReport(join(dir, 'no-accuracy'), study('ranks only', noAccuracy));
    const html = await readFile(out.html, 'utf8');
    expect(out.figures).toEqual([]);
    expect(html).toContain('no figure');
    expect(html).not.toContain('<svg');
    expect(html).toContain('effective rank (RankMe)');
  });
});
