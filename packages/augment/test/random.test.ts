import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  applyColorJitter,
  colorJitter,
  colorJitterSampler,
  compose,
  gaussianBlur,
  horizontalFlip,
  normalize,
  rgbToGrayscale,
  solarize,
  randomApply,
  randomGaussianBlur,
  randomGrayscale,
  randomHorizontalFlip,
  randomResizedCrop,
  randomSolarize,
  resizedCrop,
  roundHalfEven,
  sampleResizedCropBox,
  sampleSigmas,
  simclrCifar,
  simclrImagenet,
  twoViews,
  type ColorJitterParams,
} from '../src/index';

const randomImages = (n: number, h: number, w: number, seed = 1) =>
  tf.randomUniform([n, h, w, 3], 0, 1, 'float32', seed) as tf.Tensor4D;

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** |observed - expected| within 3 standard errors of a proportion. */
function expectRate(hits: number, n: number, p: number) {
  const sigma = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(hits / n - p)).toBeLessThan(3 * sigma);
}

/** Kolmogorov–Smirnov distance between samples and the uniform law on [a, b]. */
function ksUniform(samples: number[], a: number, b: number): number {
  const sorted = [...samples].sort((x, y) => x - y);
  let d = 0;
  sorted.forEach((x, i) => {
    const cdf = Math.min(Math.max((x - a) / (b - a), 0), 1);
    d = Math.max(d, Math.abs(cdf - i / sorted.length), Math.abs(cdf - (i + 1) / sorted.length));
  });
  return d;
}
// 0.1% critical value of the one-sample KS statistic (about ten KS checks run, each at a fixed seed).
const ksCritical = (n: number) => 1.95 / Math.sqrt(n);

describe('determinism and memory', () => {
  it('same seed gives identical views; another seed gives other views', () => {
    const x = randomImages(6, 20, 18);
    const views = twoViews(simclrCifar({ size: 16 }));
    const [a1, a2] = views(x, createRng(5));
    const [b1, b2] = views(x, createRng(5));
    const [c1] = views(x, createRng(6));
    expect(Array.from(a1.dataSync())).toEqual(Array.from(b1.dataSync()));
    expect(Array.from(a2.dataSync())).toEqual(Array.from(b2.dataSync()));
    expect(maxAbsDiff(a1, a2)).toBeGreaterThan(0.01); // the two views differ
    expect(maxAbsDiff(a1, c1)).toBeGreaterThan(0.01);
    expect(a1.shape).toEqual([6, 16, 16, 3]);
    tf.dispose([x, a1, a2, b1, b2, c1]);
  });

  it('simclrImagenet is deterministic too (blur included)', () => {
    const x = randomImages(4, 40, 36);
    const pipeline = simclrImagenet({ size: 24 });
    const a = pipeline(x, createRng(9));
    const b = pipeline(x, createRng(9));
    expect(a.shape).toEqual([4, 24, 24, 3]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
  });

  it('keeps the tensor count flat across 100 calls of every functional op', async () => {
    const x = randomImages(3, 9, 8);
    const box = { top: 1, left: 2, height: 6, width: 5 };
    const ops = [
      () => adjustBrightness(x, [0.5, 1, 1.5]),
      () => adjustContrast(x, 0.7),
      () => tf.tidy(() => adjustSaturation(x, tf.tensor1d([0, 1, 2]))), // a tensor parameter
      () => adjustHue(x, [-0.3, 0, 0.4]),
      () => rgbToGrayscale(x, 3),
      () => horizontalFlip(x),
      () => resizedCrop(x, [box, box, box], [4, 7]),
      () => resizedCrop(x, [box, box, box], 3, { antialias: true }),
      () => gaussianBlur(x, { kernelSize: 5, sigma: [0.5, 1, 2] }),
      () => solarize(x, 0.5),
      () => normalize(x, [0.5, 0.5, 0.5], [0.2, 0.2, 0.2]),
    ];
    for (const op of ops) await expectNoTensorLeak(op, { repeats: 100 });
    x.dispose();
  });

  it('keeps the tensor count flat across 100 calls of each preset', async () => {
    const x = randomImages(8, 16, 16);
    const rng = createRng(3);
    const cifar = twoViews(simclrCifar({ size: 16 }));
    const imagenet = twoViews(simclrImagenet({ size: 12 }));
    await expectNoTensorLeak(() => cifar(x, rng), { repeats: 100 });
    await expectNoTensorLeak(() => imagenet(x, rng), { repeats: 100 });
    await expectNoTensorLeak(() => randomSolarize(0.5, 0.5)(x, rng), { repeats: 100 });
    x.dispose();
  });
});

describe('random transforms apply the functional ops with the sampled parameters', () => {
  it('randomResizedCrop = resizedCrop with the boxes sampleResizedCropBox draws', () => {
    const x = randomImages(5, 13, 17);
    const y = randomResizedCrop({ size: [9, 7] })(x, createRng(11));
    const rng = createRng(11);
    const boxes = Array.from({ length: 5 }, () => sampleResizedCropBox(rng, 13, 17));
    const z = resizedCrop(x, boxes, [9, 7]);
    expect(maxAbsDiff(y, z)).toBe(0);
    tf.dispose([x, y, z]);
  });

  it('colorJitter with per-image order equals the four ops applied image by image in that order', () => {
    const n = 8;
    const x = randomImages(n, 6, 5, 4);
    const rng = createRng(21);
    const sample = colorJitterSampler({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 });
    const params: ColorJitterParams[] = Array.from({ length: n }, () => sample(rng));
    const batched = applyColorJitter(x, params);
    // The batched stages against a plain per-image loop over the (fixture-checked) functional ops.
    const ops = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
    const keys = ['brightness', 'contrast', 'saturation', 'hue'] as const;
    for (let i = 0; i < n; i++) {
      let img = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      for (const k of params[i].order) {
        const next = ops[k](img, params[i][keys[k]] as number);
        img.dispose();
        img = next;
      }
      const got = tf.slice(batched, [i, 0, 0, 0], [1, -1, -1, -1]);
      expect(maxAbsDiff(got, img)).toBeLessThan(1e-6);
      tf.dispose([img, got]);
    }
    // The orders really differ between images (so the per-image order was exercised).
    expect(new Set(params.map((p) => p.order.join())).size).toBeGreaterThan(1);
    tf.dispose([x, batched]);
  });

  it('colorJitter with only some adjustments leaves the others out', () => {
    const x = randomImages(4, 5, 5);
    const y = colorJitter({ brightness: [2, 2] })(x, createRng(1));
    const z = adjustBrightness(x, 2);
    expect(maxAbsDiff(y, z)).toBe(0);
    tf.dispose([x, y, z]);
  });

  it('randomApply transforms the drawn images and leaves the others bit-identical', () => {
    const n = 40;
    const x = randomImages(n, 4, 4);
    const rng = createRng(2);
    const y = randomApply(0.5, (imgs) => tf.sub(1, imgs) as tf.Tensor4D)(x, rng);
    const inverted = tf.sub(1, x);
    const check = createRng(2);
    let applied = 0;
    for (let i = 0; i < n; i++) {
      const on = check.bernoulli(0.5);
      applied += Number(on);
      const row = tf.slice(y, [i, 0, 0, 0], [1, -1, -1, -1]);
      const want = tf.slice(on ? inverted : x, [i, 0, 0, 0], [1, -1, -1, -1]);
      expect(maxAbsDiff(row, want)).toBe(0);
      tf.dispose([row, want]);
    }
    expect(applied).toBeGreaterThan(0);
    expect(applied).toBeLessThan(n);
    tf.dispose([x, y, inverted]);
  });

  it('randomResizedCrop with horizontalFlip equals crop then randomHorizontalFlip, bit for bit', () => {
    const x = randomImages(12, 11, 14);
    const fused = randomResizedCrop({ size: [7, 9], horizontalFlip: 0.5 })(x, createRng(8));
    const composed = compose([randomResizedCrop({ size: [7, 9] }), randomHorizontalFlip(0.5)])(x, createRng(8));
    const plain = randomResizedCrop({ size: [7, 9] })(x, createRng(8));
    expect(maxAbsDiff(fused, composed)).toBe(0);
    expect(maxAbsDiff(fused, plain)).toBeGreaterThan(0); // some crops were mirrored
    tf.dispose([x, fused, composed, plain]);
  });

  it('the antialiased crop mirrors the same way', () => {
    const x = randomImages(12, 40, 36);
    const fused = randomResizedCrop({ size: 10, horizontalFlip: 0.5, antialias: true })(x, createRng(8));
    const composed = compose([randomResizedCrop({ size: 10, antialias: true }), randomHorizontalFlip(0.5)])(x, createRng(8));
    const plain = randomResizedCrop({ size: 10 })(x, createRng(8));
    expect(maxAbsDiff(fused, composed)).toBeLessThan(1e-6);
    expect(maxAbsDiff(composed, plain)).toBeGreaterThan(1e-3); // shrinking 40 px crops: the filter matters
    tf.dispose([x, fused, composed, plain]);
  });

  it('compose applies in order and returns a new tensor even when nothing happens', () => {
    const x = randomImages(2, 3, 3);
    const y = compose([])(x, createRng(0));
    expect(y).not.toBe(x);
    expect(maxAbsDiff(x, y)).toBe(0);
    const flipTwice = compose([randomHorizontalFlip(1), randomHorizontalFlip(1)])(x, createRng(0));
    expect(maxAbsDiff(x, flipTwice)).toBe(0);
    tf.dispose([x, y, flipTwice]);
  });
});

describe('statistics of the random parameters', () => {
  const N = 10_000;

  it('randomHorizontalFlip flips at rate 0.5 ± 3σ over 10k images', () => {
    // Each image is the row [0, 1]; a flipped one starts with 1.
    const x = tf.tile(tf.tensor4d([0, 0, 0, 1, 1, 1], [1, 1, 2, 3]), [N, 1, 1, 1]) as tf.Tensor4D;
    const y = randomHorizontalFlip()(x, createRng(100));
    const first = tf.slice(y, [0, 0, 0, 0], [N, 1, 1, 1]).dataSync();
    expectRate(first.reduce((s, v) => s + v, 0), N, 0.5);
    tf.dispose([x, y]);
  });

  it('randomGrayscale greys at rate 0.2 ± 3σ over 10k images', () => {
    const x = tf.tile(tf.tensor4d([0.9, 0.2, 0.1], [1, 1, 1, 3]), [N, 1, 1, 1]) as tf.Tensor4D;
    const y = randomGrayscale(0.2)(x, createRng(101));
    const d = y.dataSync();
    let grey = 0;
    for (let i = 0; i < N; i++) grey += Number(d[3 * i] === d[3 * i + 1] && d[3 * i + 1] === d[3 * i + 2]);
    expectRate(grey, N, 0.2);
    tf.dispose([x, y]);
  });

  it('randomApply(0.8, colorJitter) jitters at rate 0.8 ± 3σ', () => {
    const x = tf.fill([N, 1, 1, 3], 0.5) as tf.Tensor4D;
    const y = randomApply(0.8, colorJitter({ brightness: [1.5, 1.5] }))(x, createRng(102));
    const d = y.dataSync();
    let changed = 0;
    for (let i = 0; i < N; i++) changed += Number(d[3 * i] !== 0.5);
    expectRate(changed, N, 0.8);
    tf.dispose([x, y]);
  });

  it('randomResizedCrop areas and log aspect ratios are uniform when every first try fits', () => {
    // On a 1000x1000 image with scale ≤ 0.5 and ratio in [3/4, 4/3] no side exceeds the image.
    const rng = createRng(103);
    const areas: number[] = [];
    const logRatios: number[] = [];
    const tops: number[] = [];
    for (let i = 0; i < N; i++) {
      const b = sampleResizedCropBox(rng, 1000, 1000, [0.08, 0.5], [3 / 4, 4 / 3]);
      areas.push((b.height * b.width) / 1e6);
      logRatios.push(Math.log(b.width / b.height));
      tops.push(b.top / (1000 - b.height)); // uniform position in [0, 1]
      expect(b.top + b.height).toBeLessThanOrEqual(1000);
      expect(b.left + b.width).toBeLessThanOrEqual(1000);
    }
    expect(ksUniform(areas, 0.08, 0.5)).toBeLessThan(ksCritical(N));
    expect(ksUniform(logRatios, Math.log(3 / 4), Math.log(4 / 3))).toBeLessThan(ksCritical(N));
    expect(ksUniform(tops, 0, 1)).toBeLessThan(ksCritical(N));
  });

  it('randomResizedCrop falls back to the central crop after exactly 10 tries', () => {
    // ratio ≥ 2 at full area never fits a square image: 10 misses, then the ratio-clamped centre.
    const rng = createRng(104);
    expect(sampleResizedCropBox(rng, 30, 30, [1, 1], [2, 3])).toEqual({ top: 7, left: 0, height: 15, width: 30 });
    const replay = createRng(104);
    for (let i = 0; i < 20; i++) replay.float(); // 10 tries × (area, ratio)
    expect(rng.uint32()).toBe(replay.uint32());
    expect(sampleResizedCropBox(createRng(1), 10, 40, [1, 1], [0.5, 1])).toEqual({ top: 0, left: 15, height: 10, width: 10 });
  });

  it('roundHalfEven is Python round', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });

  it('colorJitter factors are uniform on their torchvision ranges and the order is a uniform permutation', () => {
    const sample = colorJitterSampler({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    const rng = createRng(105);
    const draws = Array.from({ length: N }, () => sample(rng));
    expect(ksUniform(draws.map((d) => d.brightness!), 0.6, 1.4)).toBeLessThan(ksCritical(N));
    expect(ksUniform(draws.map((d) => d.contrast!), 0.6, 1.4)).toBeLessThan(ksCritical(N));
    expect(ksUniform(draws.map((d) => d.saturation!), 0.6, 1.4)).toBeLessThan(ksCritical(N));
    expect(ksUniform(draws.map((d) => d.hue!), -0.1, 0.1)).toBeLessThan(ksCritical(N));
    for (let op = 0; op < 4; op++) {
      expectRate(draws.filter((d) => d.order[0] === op).length, N, 0.25);
    }
    // Strength 0.8 clamps brightness at 0: [max(0, 1 - 0.8), 1.8].
    const strong = colorJitterSampler({ brightness: 0.8 })(createRng(1));
    expect(strong.brightness).toBeGreaterThanOrEqual(0.2);
    expect(strong.contrast).toBeNull();
  });

  it('blur sigmas are uniform on [0.1, 2]', () => {
    const sigmas = sampleSigmas(createRng(106), N, [0.1, 2]);
    expect(ksUniform(sigmas, 0.1, 2)).toBeLessThan(ksCritical(N));
  });

  it('randomGaussianBlur with p = 0.5 blurs about half of the images', () => {
    const n = 2000;
    const x = tf.tile(tf.tensor4d([0, 1, 0, 1, 0], [1, 1, 5, 1]), [n, 3, 1, 3]) as tf.Tensor4D;
    const y = randomGaussianBlur({ kernelSize: 3, sigma: [1, 2], p: 0.5 })(x, createRng(107));
    const d = y.dataSync();
    let blurred = 0;
    for (let i = 0; i < n; i++) blurred += Number(d[i * 45] > 1e-3); // pixel (0, 0) of image i is 0 unless blurred
    expectRate(blurred, n, 0.5);
    tf.dispose([x, y]);
  });
});
