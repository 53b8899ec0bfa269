// `pnpm bench`: what each scheme adds to a training step, on the wasm backend, at SimCLR's
// ResNet-18 head shape (h: 2N × 512 → 2048 → 128). Baseline in the same run: the joint scheme's
// head + InfoNCE forward/backward. Env: BENCH_ROWS (2N, default 256), BENCH_K (default 5).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { createRng } from '@selfsup/core';
import { bench, describe } from 'vitest';
import { infoNCE, joint, mlpHead, parametric } from '../src/index';

await tf.setBackend('wasm');
const rows = Number(process.env.BENCH_ROWS ?? 256);
const innerSteps = Number(process.env.BENCH_K ?? 5);
const rng = createRng(0);
const h = tf.variable(tf.randomNormal([rows, 512], 0, 1, 'float32', rng.tfSeed()), true, 'bench-h');
// Split inside each measured call, so that the tape connects the views to `h`.
const views = () => tf.split(h, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
const [h1, h2] = views();
const jointObjective = joint(mlpHead({ dims: [512, 2048, 128], rng: rng.fork('a') }), { temperature: 0.2 });
const parametricObjective = parametric(mlpHead({ dims: [512, 2048, 128], rng: rng.fork('b') }), {
  temperature: 0.2,
  innerSteps,
  lr: 0.01,
});
const options = { time: 1500, iterations: 3, warmupIterations: 1 };

describe(`2N = ${rows}, head 512-2048-128, wasm`, () => {
  bench('baseline: joint loss, gradient for h and the head', () => {
    const { value, grads } = tf.variableGrads(() => jointObjective.loss(...views()));
    tf.dispose([value, grads]);
  }, options);
  bench(`parametric headStep (K = ${innerSteps})`, () => {
    parametricObjective.headStep(h1, h2)?.dispose();
  }, options);
  bench('parametric loss, gradient for h only (fixed head)', () => {
    const { value, grads } = tf.variableGrads(() => parametricObjective.loss(...views()));
    tf.dispose([value, grads]);
  }, options);
  bench('infoNCE alone on 128-d z, forward + backward', () => {
    const z = h1.shape[1] === 512 ? [tf.slice(h1, [0, 0], [-1, 128]), tf.slice(h2, [0, 0], [-1, 128])] : [h1, h2];
    tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor) => infoNCE(a as tf.Tensor2D, b as tf.Tensor2D, { temperature: 0.2 }))(z));
    tf.dispose(z);
  }, options);
});
