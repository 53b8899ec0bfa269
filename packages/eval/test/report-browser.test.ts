/**
 * Opens a written report in headless Chromium (Debian's /usr/bin/chromium via playwright-core),
 * checks that it loads with no console or page errors and no network request, that each plot is
 * there with its marks, and saves a full-page screenshot to .cache/report-screenshot.png.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../src/report/write-report';
import { sampleEmbedding, sampleLayers, sampleMetrics } from './sample-report';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`[skip] report browser test: ${CHROMIUM} not found. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).`);
}
export const SCREENSHOT = resolve(__dirname, '../.cache/report-screenshot.png');

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'selfsup-eval-browser-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('report in headless Chromium', () => {
  it('opens without errors or network requests and shows every plot', async () => {
    const { chromium } = await import('playwright-core');
    const embedding = await sampleEmbedding(600);
    const out = await writeReport(dir, { title: 'selfsup report (browser test)', metrics: sampleMetrics(), layerStudy: sampleLayers, embedding, notes: { seed: 0, backend: 'cpu' } });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(out.html).href;
      await page.goto(url, { waitUntil: 'load' });

      expect(problems).toEqual([]);
      expect(requests).toEqual([url]); // the page itself, nothing else
      const plots = await page.$$eval('figure > svg', (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          return {
            width: box.width,
            height: box.height,
            lines: svg.querySelectorAll('.mark-line.role-mark path').length,
            symbols: svg.querySelectorAll('.mark-symbol.role-mark path').length,
            bars: svg.querySelectorAll('.mark-rect.role-mark path').length,
          };
        }),
      );
      expect(plots).toHaveLength(3);
      for (const p of plots) expect(p.width * p.height).toBeGreaterThan(100_000);
      const [curves, layers, scatter] = plots;
      expect(curves.lines).toBe(4); // loss, LR, kNN, views/s
      expect(layers.lines).toBe(2); // kNN and linear probe
      expect(layers.bars).toBe(sampleLayers.length);
      expect(scatter.symbols).toBe(600);
      expect(await page.locator('table.layers tbody tr').count()).toBe(sampleLayers.length);

      await mkdir(resolve(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      const meta = await sharp(SCREENSHOT).metadata();
      expect(meta.width).toBe(1200);
      expect(meta.height).toBeGreaterThan(1500);
      // A blank page would be one colour: the screenshot must have many distinct ones.
      const { data } = await sharp(SCREENSHOT).raw().toBuffer({ resolveWithObject: true });
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 3 * 97) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      expect(colours.size).toBeGreaterThan(20);
    } finally {
      await browser.close();
    }
  });
});
