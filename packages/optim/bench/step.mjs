// Step cost of our optimizers next to tfjs' own (the baseline) on the same variables, same run.
// Usage (after `pnpm build`): node bench/step.mjs [cpu|wasm] [steps]
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@selfsup/core';
import { adamw, lars, sgd } from '../dist/index.js';

const backend = process.argv[2] ?? 'wasm';
const steps = Number(process.argv[3] ?? 30);
await useBackend(backend);

// A ResNet-ish parameter set: 10 conv kernels with their BN scale/shift, a head: ~0.44M floats.
const shapes = [];
for (let i = 0; i < 10; i++) shapes.push([`b/conv${i}/kernel`, [3, 3, 64, 64]], [`b/bn${i}/gamma`, [64]], [`b/bn${i}/beta`, [64]]);
shapes.push(['head/kernel', [512, 128]], ['head/bias', [128]]);

const leftBehind = {};

function bench(label, makeStep) {
  const before = tf.memory().numTensors;
  const vars = shapes.map(([name, shape], i) => {
    const init = tf.randomNormal(shape, 0, 0.1, 'float32', i);
    const v = tf.variable(init, true, `${label}/${name}`);
    init.dispose();
    return v;
  });
  const grads = vars.map((v, i) => tf.randomNormal(v.shape, 0, 0.01, 'float32', 100 + i));
  const { step, dispose } = makeStep(vars, grads);
  for (let i = 0; i < 3; i++) step();
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  vars[0].dataSync(); // wait for the backend
  const ms = (performance.now() - start) / steps;
  dispose();
  tf.dispose([...vars, ...grads]);
  leftBehind[label] = tf.memory().numTensors - before;
  return ms;
}

const ours = (make) => (vars, grads) => {
  const opt = make();
  const pairs = vars.map((variable, i) => ({ variable, gradient: grads[i] }));
  return { step: () => opt.step(pairs), dispose: () => opt.dispose() };
};
const theirs = (make) => (vars, grads) => {
  const opt = make();
  const named = vars.map((v, i) => ({ name: v.name, tensor: grads[i] }));
  return { step: () => opt.applyGradients(named), dispose: () => opt.dispose() };
};

const rows = [
  ['SGD momentum 0.9', bench('tfjs-momentum', theirs(() => tf.train.momentum(0.1, 0.9))), bench('sgd', ours(() => sgd({ lr: 0.1, momentum: 0.9 })))],
  ['SGD momentum + wd', null, bench('sgd-wd', ours(() => sgd({ lr: 0.1, momentum: 0.9, weightDecay: 5e-4 })))],
  ['Adam / AdamW', bench('tfjs-adam', theirs(() => tf.train.adam(1e-3))), bench('adamw', ours(() => adamw({ lr: 1e-3 })))],
  ['LARS (no tfjs equivalent)', null, bench('lars', ours(() => lars({ lr: 0.3, weightDecay: 1e-6 })))],
];
const floats = shapes.reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
console.log(`backend ${tf.getBackend()}, ${shapes.length} variables, ${floats} floats, ${steps} timed steps`);
console.log('optimizer                    tfjs baseline ms/step   @selfsup/optim ms/step   ratio');
for (const [name, base, mine] of rows) {
  console.log(
    `${name.padEnd(28)} ${(base == null ? '-' : base.toFixed(2)).padStart(14)} ${mine.toFixed(2).padStart(24)} ${(base == null ? '-' : (mine / base).toFixed(2)).padStart(9)}`,
  );
}
console.log(`tensors left behind after dispose: ${JSON.stringify(leftBehind)}`);
