import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '@selfsup/core';
import { assertChannels, batchOf, perSampleTensor, type PerSample } from '../params';
import { mixChannels } from './channels';
import { checkFactor } from './color';

// Written for speed on the wasm and cpu backends, where per-channel slices, last-axis sums,
// tf.mod and broadcasts of a [N,H,W,1] plane against [N,H,W,3] are 10-100x slower than
// same-shape elementwise ops and small matMuls. Hence: channel mixes by matMul (exact for the
// 0/1 matrices used), x − floor(x) for the fractional part, and per-plane scalar arithmetic.

/** Fractional part x − ⌊x⌋: Python's x % 1.0 (torch.fmod for the positive values it gets). */
const frac = (x: tf.Tensor) => tf.sub(x, tf.floor(x));
const spread = (plane: tf.Tensor) => mixChannels(plane, [[1, 1, 1]]);

/** torchvision's `_rgb2hsv` on NHWC: returns [h, s, v], each [N,H,W,1], h in [0, 1). */
function rgbToHsv(images: tf.Tensor4D): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const maxc = tf.max(images, 3, true);
  const minc = tf.min(images, 3, true);
  const maxc3 = spread(maxc);
  const eqc = tf.equal(maxc, minc);
  const cr = tf.sub(maxc, minc);
  const ones = tf.onesLike(maxc);
  // Where max = min the pixel is grey: S and H are 0, and dividing by 1 keeps NaN out.
  const s = tf.div(cr, tf.where(eqc, ones, maxc));
  const rgbc = tf.div(tf.sub(maxc3, images), spread(tf.where(eqc, ones, cr))); // (rc, gc, bc)
  // torchvision's tie-breaking: red wins over green wins over blue (the first channel at the max).
  const isMax = tf.cast(tf.equal(images, maxc3), 'float32');
  const first = tf.mul(isMax, tf.relu(tf.sub(1, tf.cumsum(isMax, 3, true))));
  // 6h = bc − gc (red max), 2 + rc − bc (green max) or 4 + gc − rc (blue max).
  const candidates = mixChannels(rgbc, [[0, 1, -1], [-1, 0, 1], [1, -1, 0]], [0, 2, 4]);
  const h6 = mixChannels(tf.mul(first, candidates), [[1], [1], [1]]);
  return [frac(tf.add(tf.div(h6, 6), 1)), s, maxc];
}

/**
 * HSV → RGB in closed form: channel n ∈ (5, 3, 1) is v − v·s·clamp(min(k, 4 − k), 0, 1) with
 * k = (n + 6h) mod 6. This is torchvision's sector table (v, q, p, p, t, v)… up to float rounding.
 */
function hsvToRgb(h: tf.Tensor, s: tf.Tensor, v: tf.Tensor): tf.Tensor4D {
  const k = mixChannels(h, [[6, 6, 6]], [5, 3, 1]); // n + 6h for the three channels
  const k6 = tf.sub(k, tf.mul(tf.floor(tf.div(k, 6)), 6));
  const weight = tf.clipByValue(tf.minimum(k6, tf.sub(4, k6)), 0, 1);
  return tf.sub(spread(v), tf.mul(spread(tf.mul(v, s)), weight)) as tf.Tensor4D;
}

/**
 * `adjust_hue`: rotates the hue of every pixel by `factor` turns (per sample, in [-0.5, 0.5]),
 * through HSV as torchvision does. Single-channel input is returned as a copy.
 */
export function adjustHue(images: ImageBatch, factor: PerSample): ImageBatch {
  const n = batchOf(images);
  const c = assertChannels(images, [1, 3], 'adjustHue');
  checkFactor(factor, -0.5, 0.5, 'hue factor', 'adjustHue');
  if (c === 1) return tf.clone(images);
  return tf.tidy(() => {
    const [h, s, v] = rgbToHsv(images);
    const shifted = frac(tf.add(h, perSampleTensor(factor, n, 'factor', 'adjustHue')));
    return hsvToRgb(shifted, s, v);
  });
}
