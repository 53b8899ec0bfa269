/**
 * `pnpm bench:features`: forward-only feature extraction (what evaluation runs: kNN monitor,
 * linear probe) — ResNet-18 (CIFAR stem) pooled features in eval mode, `--batch` images in
 * chunks of `--chunk`, next to PyTorch (`torch.no_grad()`, eval) in the same run.
 *   pnpm bench:features [--batch 256] [--chunk 64] [--steps 2] [--warmup 1] [--threads N] [--backend wasm|cpu] [--no-torch]
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { resnet18 } from '@selfsup/backbones';
import { activate, MemoryPeak, mib, parseBenchArgs, randomViews } from './setup';
import { TorchBracket } from './torch';

const args = parseBenchArgs();
const backendLabel = await activate(args);
const rng = createRng(0);
const backbone = resnet18({ stem: 'cifar', rng: rng.fork('backbone') });
const images = randomViews(args.batch, rng.tfSeed());
const peak = new MemoryPeak();
const chunk = args.chunk > 0 ? args.chunk : args.batch;

async function extract(): Promise<void> {
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < args.batch; start += chunk) {
    const size = Math.min(chunk, args.batch - start);
    parts.push(tf.tidy(() => backbone.apply(tf.slice(images, start, size), { training: false })));
    peak.sample();
  }
  const features = tf.concat(parts, 0);
  await features.data();
  tf.dispose([...parts, features]);
}

console.log(`feature extraction: ResNet-18 (CIFAR stem), eval mode, ${args.batch} images in chunks of ${chunk}`);
console.log(`backend: ${backendLabel}`);
const torch = new TorchBracket(args.torch, { mode: 'features', batch: args.batch, steps: args.steps, warmup: args.warmup, threads: args.threads });
torch.measure();
for (let i = 0; i < args.warmup; i++) await extract();
const times: number[] = [];
for (let i = 0; i < args.steps; i++) {
  const t = performance.now();
  await extract();
  times.push(performance.now() - t);
}
const ms = times.reduce((a, b) => a + b, 0) / times.length;
const perSec = args.batch / (ms / 1000);
const heap = peak.wasmHeap();
console.log(`tfjs:    ${perSec.toFixed(1)} images/s, ${ms.toFixed(0)} ms per ${args.batch} images (mean of ${args.steps} after ${args.warmup} warm-up)`);
console.log(`         peak memory: tensors ${mib(peak.tensorBytes)}, ${heap === null ? '' : `wasm heap ${mib(heap)}, `}process RSS ${mib(peak.rss)}`);
torch.measure();
for (const line of torch.report(perSec, 'images/s')) console.log(line);
