// Benchmark: CIFAR-10 load from the cache and float batch assembly (toBatch) next to a baseline
// built from tfjs ops (uint8 → int32 tensor, cast, divide) in the same run, on the cpu backend.
// Run after `pnpm build`: node bench/batches.mjs [batchSize=256] [batches=40]
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadCifar10 } from '../dist/index.js';

await tf.setBackend('cpu');
const batchSize = Number(process.argv[2] ?? 256);
const count = Number(process.argv[3] ?? 40);

let t = performance.now();
const train = await loadCifar10({ split: 'train' });
const loadMs = performance.now() - t;

function baseline(indices) {
  const bytes = 32 * 32 * 3;
  const gathered = new Int32Array(indices.length * bytes);
  for (let i = 0; i < indices.length; i++) gathered.set(train.images.subarray(indices[i] * bytes, (indices[i] + 1) * bytes), i * bytes);
  return tf.tidy(() => tf.div(tf.cast(tf.tensor4d(gathered, [indices.length, 32, 32, 3], 'int32'), 'float32'), 255));
}

function time(make) {
  let images = 0;
  const start = performance.now();
  let n = 0;
  for (const indices of train.batchIndices({ batchSize, seed: 0, epoch: 0 })) {
    if (n++ === count) break;
    const out = make(indices);
    tf.dispose(out);
    images += indices.length;
  }
  return (images / (performance.now() - start)) * 1000;
}

time((i) => { const b = train.toBatch(i); return [b.images, b.labels]; }); // warm-up
time(baseline);
const ours = time((i) => { const b = train.toBatch(i); return [b.images, b.labels]; });
const base = time(baseline);
console.log(`loadCifar10 train from cache: ${loadMs.toFixed(0)} ms (50,000 images, uint8)`);
console.log(`toBatch (JS gather + /255):           ${ours.toFixed(0)} images/s (batch ${batchSize})`);
console.log(`baseline (tfjs cast + div on cpu):    ${base.toFixed(0)} images/s`);
