// Picks the fastest backend that works here, says why, and runs a seeded computation on it.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@selfsup/core';

const selection = await useBackend('auto');
console.log(`backend: ${selection.name}`);
console.log(`why: ${selection.reason}`);

const rng = createRng(0).fork('quickstart');
const n = 256;
const a = tf.randomNormal([n, n], 0, 1, 'float32', rng.tfSeed());
const b = tf.randomNormal([n, n], 0, 1, 'float32', rng.tfSeed());
const start = performance.now();
const repeats = 20;
for (let i = 0; i < repeats; i++) tf.tidy(() => tf.matMul(a, b).dataSync());
const ms = (performance.now() - start) / repeats;
console.log(`matmul ${n}x${n}: ${ms.toFixed(2)} ms, ${((2 * n ** 3) / ms / 1e6).toFixed(2)} GFLOP/s`);
tf.dispose([a, b]);
