import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@selfsup/core';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  gaussianBlur,
  horizontalFlip,
  normalize,
  resizedCrop,
  rgbToGrayscale,
  simclrImagenet,
  solarize,
} from '../src/index';

// Reference values written once by test/fixtures/make_fixtures.py (torchvision 0.14.1,
// transforms.functional on float32 tensors, one call per image with its own parameters).
interface Encoded { shape: number[]; data: number[] }
interface Case { op: string; image: string; params: Record<string, any>; expected: Encoded }
const fixture: { generator: string; images: Record<string, Encoded>; cases: Case[] } = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/torchvision.json'), 'utf8'),
);

const run: Record<string, (x: tf.Tensor4D, p: Record<string, any>) => tf.Tensor> = {
  adjustBrightness: (x, p) => adjustBrightness(x, p.factor),
  adjustContrast: (x, p) => adjustContrast(x, p.factor),
  adjustSaturation: (x, p) => adjustSaturation(x, p.factor),
  adjustHue: (x, p) => adjustHue(x, p.factor),
  rgbToGrayscale: (x, p) => rgbToGrayscale(x, p.numOutputChannels),
  horizontalFlip: (x) => horizontalFlip(x),
  resizedCrop: (x, p) =>
    resizedCrop(x, p.boxes.map(([top, left, height, width]: number[]) => ({ top, left, height, width })), p.size, {
      antialias: p.antialias,
    }),
  gaussianBlur: (x, p) => gaussianBlur(x, { kernelSize: p.kernelSize, sigma: p.sigma, sigmaY: p.sigmaY }),
  solarize: (x, p) => solarize(x, p.threshold),
  normalize: (x, p) => normalize(x, p.mean, p.std),
};

// cpu is the reference backend of the tests; wasm is the workspace default, with its own kernels.
for (const backend of ['cpu', 'wasm']) {
  describe(`functional ops match torchvision on ${backend} (${fixture.generator})`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
    });

    it('covers every functional op', () => {
      expect(new Set(fixture.cases.map((c) => c.op))).toEqual(new Set(Object.keys(run)));
    });

    for (const c of fixture.cases) {
      // The issue allows 1e-3 for hue (closed-form HSV→RGB); we hold it to 1e-5 like the rest.
      const tolerance = 1e-5;
      const label = `${c.op} on ${c.image} ${JSON.stringify(c.params).slice(0, 60)}`;
      it(`${label}: max abs error ≤ ${tolerance}`, () => {
        const img = fixture.images[c.image];
        const x = tf.tensor4d(img.data, img.shape as [number, number, number, number]);
        const y = run[c.op](x, c.params);
        expect(y.shape).toEqual(c.expected.shape);
        const got = y.dataSync();
        let maxErr = 0;
        c.expected.data.forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(got[i] - v))));
        x.dispose();
        y.dispose();
        expect(maxErr).toBeLessThanOrEqual(tolerance);
      });
    }
  });
}

describe('backends agree', () => {
  it('simclrImagenet gives the same views on wasm as on cpu for the same seed', async () => {
    const views: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const x = tf.randomUniform([6, 30, 28, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const y = simclrImagenet({ size: 20 })(x, createRng(4));
      views.push(y.dataSync() as Float32Array);
      tf.dispose([x, y]);
    }
    let maxErr = 0;
    views[0].forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(v - views[1][i]))));
    expect(maxErr).toBeLessThan(1e-4);
  });
});
