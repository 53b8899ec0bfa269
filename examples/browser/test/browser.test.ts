/**
 * The browser example in headless Chromium (Debian's /usr/bin/chromium through playwright-core,
 * no browser download), served cross-origin isolated by scripts/serve.mjs: once on wasm and
 * once on WebGPU with SwiftShader (a software adapter, so slow that the WebGPU run trains a
 * smaller net on a smaller batch). Each run trains SimCLR for a few dozen steps on the CIFAR-10
 * subset and checks the loss falls, kNN beats chance, search answers, the downloaded backbone
 * reloads with the same features, and nothing was logged as an error. Screenshots go to .cache/.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeSafetensors } from '@selfsup/core';
import { maxAbsDiff } from '@selfsup/core/testing';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PageState } from '../src/protocol';
// @ts-expect-error: plain .mjs scripts, typed by use
import { build } from '../scripts/build.mjs';
// @ts-expect-error: plain .mjs scripts, typed by use
import { CHROMIUM, hasChromium, launchChromium, waitForTraining } from '../scripts/chromium.mjs';
// @ts-expect-error: plain .mjs scripts, typed by use
import { DATA_DIR, writeCifarSubset } from '../scripts/cifar-subset.mjs';
// @ts-expect-error: plain .mjs scripts, typed by use
import { startServer } from '../scripts/serve.mjs';

if (!hasChromium) console.warn(`[skip] browser example test: ${CHROMIUM} not found. Install it with: apt-get install -y chromium (or set CHROMIUM_PATH).`);
const SCREENSHOTS = resolve(__dirname, '../.cache');

let server: { url: string; close(): Promise<void> };
let work: string;
beforeAll(async () => {
  await writeCifarSubset({ log: () => {} });
  await build();
  server = await startServer();
  work = await mkdtemp(join(tmpdir(), 'selfsup-browser-'));
  await mkdir(SCREENSHOTS, { recursive: true });
}, 300_000);
afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Opens the page with `query`, collecting console errors and warnings and page errors. */
async function open(browser: Browser, query: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${server.url}?${query}`);
  return { page, problems };
}

/** Waits until the page has `key` or an error, and fails with the error. */
async function answered(page: Page, key: keyof PageState, options: { timeout: number; polling?: number } = { timeout: 30_000 }): Promise<void> {
  await page.waitForFunction((k) => {
    const s = (window as unknown as { selfsup: PageState }).selfsup;
    return s[k as keyof PageState] != null || s.errors.length > 0;
  }, key, options);
  expect((await state(page)).errors).toEqual([]);
}

const state = (page: Page) => page.evaluate(() => (window as unknown as { selfsup: PageState }).selfsup);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Trains, then checks training, search, download and reload. Returns the median views/s. */
async function trainAndUse(browser: Browser, backend: 'wasm' | 'webgpu', query: string): Promise<number> {
  const { page, problems } = await open(browser, `backend=${backend}&scheme=joint&knnEvery=1000&autostart=1&${query}`);
  const trained: PageState = await waitForTraining(page);
  expect(trained.errors).toEqual([]);
  expect(trained.state).toBe('done');
  expect(trained.backend?.name).toBe(backend);
  if (backend === 'webgpu') expect(trained.backend?.detail).toMatch(/swiftshader/i);

  // The loss falls: on the fixed held-out batch, and on the training curve's two ends.
  const [before, after] = trained.heldOut;
  expect(after.loss).toBeLessThan(before.loss);
  const losses = trained.steps.map((s) => s.loss);
  expect(losses.every(Number.isFinite)).toBe(true);
  // kNN beats chance (10 classes, roughly balanced): before and after training.
  expect(trained.knn.at(-1)!.accuracy).toBeGreaterThan(0.15);
  expect(trained.embeddingPoints).toBeGreaterThan(15);

  // Search: click a gallery image, get its 8 nearest neighbours by cosine, best first.
  // Slow steps below (SwiftShader): a reload re-embeds the gallery and redraws the UMAP.
  const slow = { timeout: 300_000, polling: 500 };
  await page.click('#gallery canvas:nth-child(3)');
  await answered(page, 'neighbours', slow);
  const { neighbours } = await state(page);
  expect(neighbours!.row).toBe(2);
  expect(neighbours!.rows).toHaveLength(8);
  expect(neighbours!.rows).not.toContain(2);
  neighbours!.similarities.forEach((s, i) => {
    expect(s).toBeLessThanOrEqual(1 + 1e-5);
    if (i > 0) expect(s).toBeLessThanOrEqual(neighbours!.similarities[i - 1] + 1e-6);
  });
  expect(await page.locator('#neighbours canvas').count()).toBe(9);

  // Download the backbone: safetensors with its spec, then load it back into the page.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const file = join(work, `${backend}-backbone.safetensors`);
  await download.saveAs(file);
  const { tensors, metadata } = decodeSafetensors(await readFile(file));
  expect(JSON.parse(metadata.selfsup_spec).kind).toBe('small-convnet');
  expect(tensors.size).toBeGreaterThan(10);
  await page.setInputFiles('#load', file);
  await answered(page, 'imported', slow);
  const { imported, trained: trainedProbe } = await state(page);
  const probe = trainedProbe!.probe;
  expect(imported!.probe).toHaveLength(probe.length);
  const diff = maxAbsDiff(imported!.probe, probe);
  expect(diff).toBeLessThanOrEqual(1e-6);
  expect(imported!.maxAbsDiff).toBeLessThanOrEqual(1e-6);

  await page.screenshot({ path: join(SCREENSHOTS, `browser-${backend}.png`), fullPage: true });
  expect(problems).toEqual([]);
  await page.close();
  const speed = median(trained.steps.slice(1).map((s) => s.viewsPerSecond));
  console.log(
    `[browser ${backend}] ${trained.steps.length} steps: held-out loss ${before.loss.toFixed(3)} → ${after.loss.toFixed(3)}, ` +
      `curve ${mean(losses.slice(0, 5)).toFixed(3)} → ${mean(losses.slice(-5)).toFixed(3)} (first/last 5), ` +
      `kNN ${trained.knn.map((k) => `${(100 * k.accuracy).toFixed(1)}%`).join(' → ')}, ${speed.toFixed(0)} views/s (median), reload diff ${diff.toExponential(1)}`,
  );
  return speed;
}

describe.skipIf(!hasChromium)('the browser example in headless Chromium', () => {
  it('trains on wasm (threads: cross-origin isolated), searches, and reloads a downloaded backbone', async () => {
    const browser: Browser = await launchChromium();
    try {
      await trainAndUse(browser, 'wasm', 'steps=40&batch=64');
    } finally {
      await browser.close();
    }
  });

  it('trains on WebGPU (SwiftShader), searches, and reloads a downloaded backbone', async () => {
    const browser: Browser = await launchChromium({ webgpu: true });
    try {
      // SwiftShader runs the small convnet at a few views/s: a quarter of the channels, 16 images a step.
      await trainAndUse(browser, 'webgpu', 'steps=24&batch=16&widths=8,16,32&train=512&test=128');
    } finally {
      await browser.close();
    }
  });

  it("decodes the user's image files into a dataset with the files' exact pixels", async () => {
    const browser: Browser = await launchChromium();
    try {
      const pixels = await readFile(join(DATA_DIR, 'test-images.bin'));
      const files = await Promise.all(
        [0, 1, 2].map(async (row) => {
          const path = join(work, `cifar-test-${row}.png`);
          await sharp(pixels.subarray(row * 3072, (row + 1) * 3072), { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(path);
          return path;
        }),
      );
      const { page, problems } = await open(browser, 'backend=wasm');
      await page.waitForFunction(() => (window as unknown as { selfsup: PageState }).selfsup.state === 'ready');
      await page.setInputFiles('#images', files);
      await answered(page, 'userImages');
      const { userImages } = await state(page);
      expect(userImages!.count).toBe(3);
      expect(userImages!.firstPixels).toEqual([...pixels.subarray(0, 3072)]);
      expect(await page.locator('#source').inputValue()).toBe('files');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
