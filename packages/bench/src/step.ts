/**
 * `pnpm bench`: one SimCLR step — ResNet-18 (CIFAR stem), head 512-512-128, NT-Xent τ = 0.5,
 * SGD — at 2N views on the active backend, next to the PyTorch step with the same model and
 * batch measured in the same run. The batch goes through GradCache (`--chunk` rows at a time;
 * `--chunk 0`: the whole batch as one chunk, i.e. the plain step).
 *   pnpm bench [--batch 256] [--chunk 128] [--steps 2] [--warmup 1] [--threads N] [--backend wasm|cpu] [--no-torch] [--profile]
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, gradCacheStep } from '@selfsup/core';
import { resnet18 } from '@selfsup/backbones';
import { infoNCE, mlpHead } from '@selfsup/losses';
import { sgd } from '@selfsup/optim';
import { activate, MemoryPeak, mib, parseBenchArgs, profileKernels, randomViews } from './setup';
import { TorchBracket } from './torch';

const args = parseBenchArgs({ chunk: 128 });
const chunkSize = args.chunk > 0 ? Math.min(args.chunk, args.batch) : args.batch;
const backendLabel = await activate(args);
const rng = createRng(0);
const backbone = resnet18({ stem: 'cifar', rng: rng.fork('backbone') });
const head = mlpHead({ dims: [512, 512, 128], rng: rng.fork('head') });
const optimizer = sgd({ lr: 0.1, momentum: 0.9 });
const views = randomViews(args.batch, rng.tfSeed());
const peak = new MemoryPeak();

function loss(h: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const z = head.apply(h as tf.Tensor2D, { training: true });
    const [z1, z2] = tf.split(z, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
    return infoNCE(z1, z2, { temperature: 0.5 });
  });
}

function step(): tf.Scalar {
  const result = gradCacheStep(views, {
    embed: (x, ctx) => {
      const h = backbone.apply(x as tf.Tensor4D, { training: true, updateStats: ctx.pass === 'backward' });
      peak.sample();
      return h;
    },
    loss,
    variables: backbone.trainableVariables(),
    lossVariables: head.trainableVariables(),
    chunkSize,
  });
  peak.sample();
  optimizer.step(result.gradients);
  result.gradients.forEach((g) => g.gradient.dispose());
  return result.loss;
}

console.log(`SimCLR step: ResNet-18 (CIFAR stem) + head 512-512-128, NT-Xent τ=0.5, SGD; 2N=${args.batch}` +
  `${chunkSize < args.batch ? `, GradCache chunks of ${chunkSize}` : ', unchunked'}`);
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
