import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleLayers, sampleMetrics } from '../../test/sample-report';
import { embeddingSpec, layerStudySpec, trainingCurvesSpec } from './charts';
import { writeReport } from './write-report';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'selfsup-eval-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('chart specs', () => {
  it('draw one panel per logged metric and skip metrics never logged', () => {
    const spec = trainingCurvesSpec([{ step: 0, loss: 3 }, { step: 5, loss: 2, knnAccuracy: 0.4 }, { step: 6, loss: Number.NaN }]) as { concat: { title: string; data: { values: unknown[] } }[] };
    expect(spec.concat.map((p) => p.title)).toEqual(['Training loss', 'kNN accuracy (k=200, τ=0.1)']);
    expect(spec.concat[0].data.values).toEqual([{ step: 0, value: 3 }, { step: 5, value: 2 }]);
    expect(trainingCurvesSpec([])).toBeNull();
    expect(layerStudySpec([])).toBeNull();
    expect(embeddingSpec({ method: 'umap', points: [] })).toBeNull();
  });
});

describe('writeReport', () => {
  it('writes a self-contained index.html and SVG + PNG figures, with no temporary files left', async () => {
    const points = Array.from({ length: 40 }, (_, i) => ({ x: Math.cos(i), y: Math.sin(i) * (i % 3), label: i % 3 }));
    const out = await writeReport(join(dir, 'run'), {
      title: 'A <run> & more',
      metrics: sampleMetrics(100),
      layerStudy: { rows: sampleLayers },
      embedding: { method: 'umap', points },
      classNames: ['cat', 'dog', 'ship'],
      notes: { seed: 3 },
      generatedAt: '2026-11-28T08:00:00.000Z',
    });
    expect(out.figures.map((f) => f.id)).toEqual(['training-curves', 'layer-study', 'embedding']);
    const html = await readFile(out.html, 'utf8');
    expect(html).toContain('<title>A &lt;run&gt; &amp; more</title>');
    expect(html.match(/<svg/g)?.length).toBe(3);
    expect(html).not.toMatch(/<script|<link|src="http|href="http|url\(http/);
    expect(html).toContain('backbone.stage4: 84.00%'); // best linear-probe layer in the summary
    for (const name of ['cat', 'dog', 'ship']) expect(html).toContain(`>${name}</text>`);
    for (const f of out.figures) {
      const svg = await readFile(f.svg, 'utf8');
      expect(html).toContain(svg); // the page inlines exactly the figure files
      const meta = await sharp(f.png as string).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(400);
    }
    const leftovers = [...(await readdir(join(dir, 'run'))), ...(await readdir(join(dir, 'run', 'figures')))];
    expect(leftovers.filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('writes a page that says what is missing when given nothing', async () => {
    const out = await writeReport(join(dir, 'empty'), { png: false });
    expect(out.figures).toEqual([]);
    expect(await readFile(out.html, 'utf8')).toContain('Nothing to show yet');
  });
});
