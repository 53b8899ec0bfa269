/**
 * Benchmark: kNN monitor at CIFAR scale (50,000-image bank, 10,000 queries, k = 200).
 * Prints tensor memory at its peak (tf.profile) next to the baseline of one full similarity
 * matrix, and the wall time. Run: pnpm bench:knn [dims] [backend]   (defaults: 128, wasm)
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { knnAccuracy } from '../src/knn';

const dims = Number(process.argv[2] ?? 128);
const backend = process.argv[3] ?? 'wasm';
await tf.setBackend(backend);
const [nBank, nQuery, classes] = [50_000, 10_000, 10];
const rng = createRng(0).fork('bench-knn');
const centres = tf.randomNormal([classes, dims], 0, 1, 'float32', rng.tfSeed());
const bankLabels = Int32Array.from({ length: nBank }, () => rng.int(0, classes));
const queryLabels = Int32Array.from({ length: nQuery }, () => rng.int(0, classes));
const noisy = (labels: Int32Array) =>
  tf.tidy(() => tf.add(tf.gather(centres, tf.tensor1d(labels, 'int32')), tf.randomNormal([labels.length, dims], 0, 2, 'float32', rng.tfSeed()))) as tf.Tensor2D;
const bank = noisy(bankLabels);
const query = noisy(queryLabels);
const inputBytes = tf.memory().numBytes;

const started = performance.now();
let accuracy = 0;
const profile = await tf.profile(async () => {
  accuracy = (await knnAccuracy(bank, bankLabels, query, queryLabels, { k: 200, temperature: 0.1 })).accuracy;
});
const seconds = (performance.now() - started) / 1000;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
console.log(`backend ${tf.getBackend()}, bank ${nBank}×${dims}, queries ${nQuery}×${dims}, k=200`);
console.log(`inputs held by the caller:               ${mb(inputBytes)}`);
console.log(`knnAccuracy peak tensor memory (chunked): ${mb(profile.peakBytes)} (incl. inputs)`);
console.log(`baseline: one full ${nQuery}×${nBank} float32 similarity matrix: ${mb(nQuery * nBank * 4)}`);
console.log(`time ${seconds.toFixed(1)} s (${((nQuery * nBank * dims * 2) / seconds / 1e9).toFixed(2)} GFLOP/s in the similarity matmuls), accuracy ${(100 * accuracy).toFixed(2)}%`);
tf.dispose([bank, query, centres]);
