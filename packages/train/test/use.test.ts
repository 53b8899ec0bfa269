import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackbone } from '@selfsup/backbones';
import { loadCifar10 } from '@selfsup/datasets';
import { readEmbeddings } from '../src/embeddings-file';
import type { SearchResult } from '../src/use-commands';
// One finder of a Python with torch and torchvision for every package's tests.
import { torchPython } from '../../backbones/test/helpers';

// embed, search and export as a user runs them: the built CLI on a short CIFAR-10 run.
const cli = resolve(__dirname, '../dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'selfsup-use-'));
const runDir = join(work, 'run');
const vectors = join(work, 'emb', 'test.safetensors');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
const TEST_IMAGES = 1000;
/** CIFAR-10's first test labels (cat, ship, ship, airplane, frog, ...), from the official batch. */
const FIRST_TEST_LABELS = [3, 8, 8, 0, 6, 6, 1, 6, 3, 1];

let server: Server | undefined;
afterAll(() => server?.close());

beforeAll(async () => {
  expect(existsSync(cli), 'build @selfsup/train first').toBe(true);
  await tf.setBackend('cpu');
  const trained = run([
    'train', '--preset', 'quick', '--backend', 'wasm', '--run-dir', runDir, '--no-progress', '--max-steps', '20',
    '--batch-size', '128', '--train-subset', '2560', '--set', 'eval.knnEvery=0', '--set', 'eval.report=false',
    '--set', 'eval.layerStudy={"trainImages":256,"testImages":100,"probeEpochs":1}',
  ]);
  expect(trained.status, trained.stderr).toBe(0);
  const embedded = run(['embed', '--run-dir', runDir, '--images', 'cifar10:test', '--limit', String(TEST_IMAGES), '--out', vectors, '--no-progress']);
  expect(embedded.status, embedded.stderr).toBe(0);
}, 400_000);

/** Rows 0..n−1 of CIFAR-10 test as float32 NCHW in [0, 1] (what the ONNX model takes). */
async function testImagesNchw(n: number): Promise<{ nchw: Float32Array; nhwc: tf.Tensor4D }> {
  const test = await loadCifar10({ split: 'test' });
  const nhwc = test.toBatch(Int32Array.from({ length: n }, (_, i) => i)).images;
  const nchw = tf.tidy(() => tf.transpose(nhwc, [0, 3, 1, 2]));
  const values = nchw.dataSync() as Float32Array;
  nchw.dispose();
  return { nchw: values, nhwc };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('selfsup embed', () => {
  it('writes one row per image, with the labels and the layer, readable as safetensors', () => {
    const { index, data } = readEmbeddings(vectors);
    expect(index).toMatchObject({ count: TEST_IMAGES, dim: 64, layer: 'features', source: 'cifar10:test', imageSize: [32, 32], runDir: resolve(runDir) });
    expect(index.labels.slice(0, 10)).toEqual(FIRST_TEST_LABELS);
    expect(index.classNames[3]).toBe('cat');
    expect(data.length).toBe(TEST_IMAGES * 64);
    expect(data.every(Number.isFinite)).toBe(true);
  });

  it('writes .npy too, and refuses another extension before loading anything', () => {
    const npy = join(work, 'emb', 'head.npy');
    const done = run(['embed', '--run-dir', runDir, '--images', 'cifar10:test', '--limit', '50', '--layer', 'head', '--out', npy, '--no-progress']);
    expect(done.status, done.stderr).toBe(0);
    const { index, data } = readEmbeddings(npy);
    expect(index).toMatchObject({ count: 50, dim: 64, layer: 'head' });
    expect(readFileSync(npy).subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    expect(data.length).toBe(50 * 64);
    const bad = run(['embed', '--run-dir', runDir, '--images', 'cifar10:test', '--out', join(work, 'x.csv')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--out .*x\.csv is neither \.safetensors nor \.npy/);
    const unknown = run(['embed', '--run-dir', runDir, '--images', 'cifar10:val', '--out', join(work, 'x.npy')]);
    expect(unknown.stderr).toMatch(/cifar10 has no split "val": use cifar10:train, cifar10:test/);
  });
});

describe('selfsup embed, on a folder', () => {
  it('records each file and its class, and search shows the files', async () => {
    const folder = join(work, 'photos');
    const { nhwc } = await testImagesNchw(6);
    const pixels = Array.from(nhwc.dataSync(), (v) => Math.round(v * 255));
    nhwc.dispose();
    // Test rows 0..5 are cat, ship, ship, airplane, frog, frog: two classes of folder.
    const names = ['cat/0.png', 'ship/1.png', 'ship/2.png', 'plane/3.png', 'frog/4.png', 'frog/5.png'];
    for (const [i, name] of names.entries()) {
      mkdirSync(join(folder, name.split('/')[0]), { recursive: true });
      const raw = Buffer.from(pixels.slice(i * 3072, (i + 1) * 3072));
      await sharp(raw, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(folder, name));
    }
    const out = join(work, 'emb', 'photos.npy');
    const done = run(['embed', '--run-dir', runDir, '--images', folder, '--out', out, '--no-progress']);
    expect(done.status, done.stderr).toBe(0);
    const { index, data } = readEmbeddings(out);
    expect(index.classNames).toEqual(['cat', 'frog', 'plane', 'ship']);
    expect(index.files).toEqual(['cat/0.png', 'frog/4.png', 'frog/5.png', 'plane/3.png', 'ship/1.png', 'ship/2.png'].map((n) => join(folder, n)));
    expect(index.labels).toEqual([0, 1, 1, 2, 3, 3]);
    // PNG is lossless: the folder's rows are the test split's rows 0, 4, 5, 3, 1, 2.
    const test = readEmbeddings(vectors).data;
    [0, 4, 5, 3, 1, 2].forEach((row, i) => expect(maxDiff(data.subarray(i * 64, (i + 1) * 64), test.subarray(row * 64, (row + 1) * 64))).toBeLessThanOrEqual(1e-5));
    const found = run(['search', '--embeddings', out, '--row', '0', '-k', '2']);
    expect(found.stdout).toMatch(/^query: .*cat\/0\.png \(cat\)\n/);
    expect(found.stdout.split('\n').filter((line) => line.includes(`${folder}/`))).toHaveLength(3); // the query, and 2 in the file column
  });
});

describe('selfsup search', () => {
  it('finds same-class neighbours above chance for 100 test images', () => {
    const rows = Array.from({ length: 100 }, (_, i) => i).join(',');
    const found = run(['search', '--embeddings', vectors, '--row', rows, '-k', '10', '--json']);
    expect(found.status, found.stderr).toBe(0);
    const results = found.stdout.trim().split('\n').map((line) => JSON.parse(line) as SearchResult);
    expect(results).toHaveLength(100);
    const { index } = readEmbeddings(vectors);
    let same = 0;
    for (const { query, neighbours } of results) {
      expect(neighbours.map((n) => n.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(neighbours.some((n) => n.row === query.row)).toBe(false); // the query itself is left out
      same += neighbours.filter((n) => n.label === query.label).length;
    }
    // Chance: the probability that a random other row shares the query's class, Σ p_c² ≈ 0.1.
    const counts = new Map<number, number>();
    for (const label of index.labels) counts.set(label, (counts.get(label) ?? 0) + 1);
    const chance = [...counts.values()].reduce((s, c) => s + (c / index.count) ** 2, 0);
    expect(same / 1000).toBeGreaterThan(chance + 0.05);
  });

  it('embeds a query image with the same run and layer: a lossless copy of row 0 finds row 0', async () => {
    const { nhwc } = await testImagesNchw(1);
    const png = join(work, 'query.png');
    const pixels = Buffer.from(Array.from(nhwc.dataSync(), (v) => Math.round(v * 255)));
    nhwc.dispose();
    await sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(png);
    const found = run(['search', '--embeddings', vectors, '--query', png, '-k', '3']);
    expect(found.status, found.stderr).toBe(0);
    expect(found.stdout).toMatch(/query: .*query\.png\nrank +similarity +row +label +file\n[- ]+\n1 +1\.0000 +0 +cat/);
    const text = join(work, 'notes.txt');
    mkdirSync(join(work, 'emb'), { recursive: true });
    const bad = run(['search', '--embeddings', vectors, '--query', join(work, 'emb')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/is not a \.png, \.jpg or \.jpeg file/);
    expect(run(['search', '--embeddings', vectors]).stderr).toMatch(/got no query: pass --query <image> or --row <n>/);
    expect(run(['search', '--embeddings', text, '--row', '1']).stderr).toMatch(/neither \.safetensors nor \.npy/);
  });
});

describe('selfsup export', () => {
  it('onnx: onnxruntime-node gives the embedded features within 1e-4', async () => {
    const out = join(work, 'export', 'backbone.onnx');
    const done = run(['export', '--run-dir', runDir, '--format', 'onnx', '--out', out]);
    expect(done.status, done.stderr).toBe(0);
    const { nchw, nhwc } = await testImagesNchw(8);
    nhwc.dispose();
    const session = await InferenceSession.create(readFileSync(out));
    const { features } = await session.run({ images: new OrtTensor('float32', nchw, [8, 3, 32, 32]) });
    const { data } = readEmbeddings(vectors);
    expect(maxDiff(features.data as Float32Array, data.subarray(0, 8 * 64))).toBeLessThanOrEqual(1e-4);
    const headed = run(['export', '--run-dir', runDir, '--format', 'onnx', '--with-head', '--out', join(work, 'export', 'head.onnx')]);
    expect(headed.status, headed.stderr).toBe(0);
    const withHead = await InferenceSession.create(readFileSync(join(work, 'export', 'head.onnx')));
    expect(withHead.outputNames).toEqual(['features', 'projection']);
  });

  it('tfjs: loadBackbone over HTTP gives the embedded features', async () => {
    const out = join(work, 'export', 'tfjs');
    const done = run(['export', '--run-dir', runDir, '--format', 'tfjs', '--out', out]);
    expect(done.status, done.stderr).toBe(0);
    server = createServer((req, res) => res.end(readFileSync(join(out, (req.url ?? '/').slice(1)))));
    await new Promise<void>((ready) => server!.listen(0, '127.0.0.1', ready));
    const { port } = server.address() as { port: number };
    const backbone = await loadBackbone(`http://127.0.0.1:${port}/model.json`);
    const { nhwc } = await testImagesNchw(8);
    const features = backbone.apply(nhwc);
    const { data } = readEmbeddings(vectors);
    // The run embedded on wasm, this is cpu: same weights, kernels within float rounding.
    expect(maxDiff(features.dataSync(), data.subarray(0, 8 * 64))).toBeLessThanOrEqual(1e-4);
    tf.dispose([nhwc, features]);
    backbone.dispose();
  });

  const python = torchPython();
  it.skipIf(!python)('torchvision: the PyTorch module of python/selfsup_backbones.py gives the embedded features within 1e-4', async () => {
    const out = join(work, 'export', 'backbone.safetensors');
    const done = run(['export', '--run-dir', runDir, '--format', 'torchvision', '--out', out]);
    expect(done.status, done.stderr).toBe(0);
    const { nchw, nhwc } = await testImagesNchw(8);
    nhwc.dispose();
    const input = join(work, 'input.f32');
    writeFileSync(input, nchw);
    const code = [
      'import sys, json, numpy, torch',
      `sys.path.insert(0, ${JSON.stringify(resolve(__dirname, '../../backbones/python'))})`,
      'import selfsup_backbones as sb',
      'x = torch.from_numpy(numpy.fromfile(sys.argv[2], dtype=numpy.float32).reshape(8, 3, 32, 32))',
      'with torch.no_grad(): print(json.dumps(sb.load(sys.argv[1])(x).flatten().tolist()))',
    ].join('\n');
    const torch = spawnSync(python!, ['-c', code, out, input], { encoding: 'utf8' });
    expect(torch.status, torch.stderr).toBe(0);
    const { data } = readEmbeddings(vectors);
    expect(maxDiff(JSON.parse(torch.stdout) as number[], data.subarray(0, 8 * 64))).toBeLessThanOrEqual(1e-4);
  });

  it('names the fix for a missing run, an unknown format and a head outside ONNX', () => {
    expect(run(['export', '--run-dir', join(work, 'nope'), '--format', 'onnx']).stderr).toMatch(/nope is not a selfsup run directory \(no config\.json\)/);
    expect(run(['export', '--run-dir', runDir, '--format', 'keras']).stderr).toMatch(/unknown format "keras"; use onnx, torchvision, tfjs/);
    expect(run(['export', '--run-dir', runDir, '--format', 'tfjs', '--with-head']).stderr).toMatch(/--with-head needs --format onnx/);
    expect(existsSync(join(runDir, 'export', 'tfjs'))).toBe(false); // nothing half-written
  });
});
