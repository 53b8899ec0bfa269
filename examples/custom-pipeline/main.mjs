// A contrastive pipeline composed by hand from the selfsup packages (no Trainer): CIFAR-10 from
// the cache, SimCLR views, a small convnet, the parametric head-as-objective scheme, SGD, and a
// kNN check of the features before and after. Run: node examples/custom-pipeline/main.mjs [steps]
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend } from '@selfsup/core';
import { simclrCifar, twoViews } from '@selfsup/augment';
import { smallConvnet } from '@selfsup/backbones';
import { epochOrder, loadCifar10 } from '@selfsup/datasets';
import { knnAccuracy } from '@selfsup/eval';
import { contrastiveStep, mlpHead, parametric } from '@selfsup/losses';
import { BN_AND_BIAS, sgd } from '@selfsup/optim';

const steps = Number(process.argv[2] ?? 120); // about 2.5 minutes on 2 cores (wasm)
const backend = await useBackend('auto');
console.log(`backend: ${backend.name}`);
const rng = createRng(0);
const train = (await loadCifar10({ split: 'train' })).subset(Int32Array.from({ length: 4096 }, (_, i) => i));
const test = (await loadCifar10({ split: 'test' })).subset(Int32Array.from({ length: 1000 }, (_, i) => i));

const backbone = smallConvnet({ widths: [32, 64, 128], rng: rng.fork('backbone') });
// The learning-rate rule (train README): base·B/256 with base 0.3 for the small convnet, B = 128.
// The head's optimizer is the backbone's recipe, so that only the head's role differs from SimCLR.
const batchSize = 128;
const groups = [{ match: BN_AND_BIAS, weightDecay: 0 }];
const optimizer = sgd({ lr: (0.3 * batchSize) / 256, momentum: 0.9, weightDecay: 5e-4, groups });
const headOptimizer = sgd({ lr: (0.3 * batchSize) / 256, momentum: 0.9, weightDecay: 5e-4, groups });
const objective = parametric(mlpHead({ dims: [backbone.featureDim, 128, 64], batchNorm: true, rng: rng.fork('head') }), {
  temperature: 0.5,
  innerSteps: 5,
  optimizer: headOptimizer,
});
const views = twoViews(simclrCifar());

// Eval-mode features in batches of 512: one forward over thousands of images would push the
// wasm heap past 2 GiB, where tfjs' wasm backend faults.
function features(data) {
  const parts = [];
  for (let start = 0; start < data.size; start += 512) {
    const rows = Int32Array.from({ length: Math.min(512, data.size - start) }, (_, i) => start + i);
    parts.push(tf.tidy(() => backbone.apply(data.toBatch(rows).images, { training: false })));
  }
  const all = tf.concat(parts);
  tf.dispose(parts);
  return all;
}

async function knn() {
  const [bank, queries] = [features(train), features(test)];
  const { accuracy } = await knnAccuracy(bank, train.labels, queries, test.labels, { k: 50 });
  tf.dispose([bank, queries]);
  return accuracy;
}

console.log(`kNN before: ${(100 * (await knn())).toFixed(1)}%`);
const order = epochOrder(train.size, 0, 0);
for (let step = 0; step < steps; step++) {
  const start = (step * batchSize) % (train.size - batchSize);
  // The Trainer's own step: both views through the backbone as one batch, K inner head steps on
  // stop-gradient features, then the backbone update through the fitted head.
  const { loss, innerLosses } = tf.tidy(() => {
    const { images } = train.toBatch(order.subarray(start, start + batchSize));
    const [v1, v2] = views(images, rng.fork('views').fork(String(step)));
    return contrastiveStep({ backbone, objective, optimizer }, v1, v2);
  });
  if (step % 5 === 0 || step === steps - 1) console.log(`step ${step + 1}/${steps}: loss ${loss.dataSync()[0].toFixed(4)}`);
  tf.dispose([loss, innerLosses]);
}
console.log(`kNN after: ${(100 * (await knn())).toFixed(1)}%`);
