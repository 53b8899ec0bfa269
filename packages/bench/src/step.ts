/**
 * `pnpm bench`: one SimCLR step — ResNet-18 (CIFAR stem), head 512-512-128, NT-Xent τ = 0.5,
 * SGD — at 2N views on the active backend, next to the PyTorch step with the same model and
 * batch measured in the same run. The step is the one the Trainer runs, `contrastiveStep` of
 * @selfsup/losses with the `joint` objective: the batch goes through GradCache (`--chunk` views
 * at a time, both views of chunk/2 images per chunk; `--chunk 0`: the plain step).
 *   pnpm bench [--batch 256] [--chunk 128] [--steps 2] [--warmup 1] [--threads N] [--backend wasm|cpu] [--no-torch] [--profile]
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { resnet18 } from '@selfsup/backbones';
import { contrastiveStep, joint, mlpHead, type StepBackbone } from '@selfsup/losses';
import { sgd } from '@selfsup/optim';
import { activate, MemoryPeak, mib, parseBenchArgs, profileKernels, randomViews } from './setup';
import { TorchBracket } from './torch';

const args = parseBenchArgs({ chunk: 128 });
if (!Number.isInteger(args.batch) || args.batch < 2 || args.batch % 2 !== 0) {
  throw new Error(`--batch ${args.batch}: pass an even number of views (2N: two views of N images)`);
}
// A chunk of at least 2N views is the plain step.
const chunkSize = args.chunk > 0 && args.chunk < args.batch ? args.chunk : undefined;
const backendLabel = await activate(args);
const rng = createRng(0);
const resnet = resnet18({ stem: 'cifar', rng: rng.fork('backbone') });
const objective = joint(mlpHead({ dims: [512, 512, 128], rng: rng.fork('head') }), { temperature: 0.5 });
const optimizer = sgd({ lr: 0.1, momentum: 0.9 });
const [v1, v2] = [randomViews(args.batch / 2, rng.tfSeed()), randomViews(args.batch / 2, rng.tfSeed())];
const peak = new MemoryPeak();
// The ResNet, sampling peak memory after every forward (GradCache's chunk passes included).
const backbone: StepBackbone = {
  apply: (x, options) => {
    const h = resnet.apply(x, options);
    peak.sample();
    return h;
  },
  trainableVariables: () => resnet.trainableVariables(),
};

function step(): tf.Scalar {
  const { loss, innerLosses } = contrastiveStep({ backbone, objective, optimizer }, v1, v2, chunkSize);
  innerLosses?.dispose();
  peak.sample();
  return loss;
}

console.log(`SimCLR step: ResNet-18 (CIFAR stem) + head 512-512-128, NT-Xent τ=0.5, SGD; 2N=${args.batch}` +
  `${chunkSize !== undefined ? `, GradCache chunks of ${chunkSize}` : ', unchunked'}`);
console.log(`backend: ${backendLabel}`);
const torch = new TorchBracket(args.torch, { mode: 'step', batch: args.batch, steps: args.steps, warmup: args.warmup, threads: args.threads });
torch.measure();
for (let i = 0; i < args.warmup; i++) {
  const l = step();
  await l.data();
  l.dispose();
}
if (args.profile) {
  console.log('kernel profile of one step (ms, nested kernels included):');
  console.log((await profileKernels(() => step())).join('\n'));
}
const times: number[] = [];
let lastLoss = NaN;
for (let i = 0; i < args.steps; i++) {
  const t = performance.now();
  const l = step();
  lastLoss = (await l.data())[0];
  l.dispose();
  times.push(performance.now() - t);
  peak.sample();
}
const ms = times.reduce((a, b) => a + b, 0) / times.length;
const viewsPerSec = args.batch / (ms / 1000);
const heap = peak.wasmHeap();
console.log(`tfjs:    ${viewsPerSec.toFixed(2)} views/s, ${ms.toFixed(0)} ms/step (mean of ${args.steps} after ${args.warmup} warm-up; steps ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s), loss ${lastLoss.toFixed(4)}`);
console.log(`         peak memory: tensors ${mib(peak.tensorBytes)}, ${heap === null ? '' : `wasm heap ${mib(heap)}, `}process RSS ${mib(peak.rss)}`);

torch.measure();
for (const line of torch.report(viewsPerSec, 'views/s')) console.log(line);
