/**
 * `pnpm --filter @selfsup/augment bench [--backend auto|wasm|cpu|...] [--batch 512] [--size 32] [--steps 3]`
 *
 * Augmented views per second of `twoViews(simclrCifar())` on the active backend, with memory
 * (tf.profile peak bytes, process peak RSS), next to torchvision's per-image PIL pipeline
 * measured in the same run over the same number of views (when /usr/bin/python3 or python3 has
 * torchvision).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, useBackend, type BackendName } from '@selfsup/core';
import { simclrCifar, twoViews } from './index';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const backendName = arg('backend', 'auto') as BackendName | 'auto';
const batch = Number(arg('batch', '512'));
const size = Number(arg('size', '32'));
const steps = Number(arg('steps', '3'));
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

const backend = await useBackend(backendName);
console.log(`backend: ${backend.name} (${backend.reason})`);

// CIFAR-like input: uint8 pixels scaled to [0, 1].
const images = tf.tidy(() => tf.div(tf.floor(tf.randomUniform([batch, size, size, 3], 0, 256, 'float32', 1)), 255)) as tf.Tensor4D;
const views = twoViews(simclrCifar({ size }));
const rng = createRng(0);

async function step(): Promise<void> {
  const [a, b] = views(images, rng);
  await Promise.all([a.data(), b.data()]); // wait for the device, as a training step would
  tf.dispose([a, b]);
}

await step(); // warm-up: kernel compilation, buffer allocation
const start = performance.now();
for (let i = 0; i < steps; i++) await step();
const seconds = (performance.now() - start) / 1000;
const ours = (2 * batch * steps) / seconds;
const profile = await tf.profile(() => step());
const rssPeak = process.resourceUsage().maxRSS * 1024;

console.log(`@selfsup/augment simclrCifar, 2 views x ${batch} x ${size}x${size}, ${steps} steps:`);
console.log(`  ${ours.toFixed(0)} views/s (${((seconds / steps) * 1000).toFixed(0)} ms per step of ${2 * batch} views)`);
console.log(`  peak tf memory ${mb(profile.peakBytes)} in a step (input ${mb(images.size * 4)}); tensors kept: ${tf.memory().numTensors}; process peak RSS ${mb(rssPeak)}`);

const script = join(dirname(fileURLToPath(import.meta.url)), '../bench/torchvision_baseline.py');
const python = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0,
);
if (python === undefined) {
  console.log('baseline: not measured (no python3 with torchvision here: `python3 -c "import torchvision"` fails)');
} else {
  const run = spawnSync(python, [script, '--batch', String(batch), '--size', String(size), '--steps', String(steps)], {
    encoding: 'utf8',
  });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) {
    console.log(`baseline: failed (${python} ${script}): ${run.stderr.trim().split('\n').pop()}`);
  } else {
    const base = JSON.parse(line) as { views_per_s: number; torchvision: string; torch_threads: number };
    console.log(`baseline torchvision ${base.torchvision} PIL per-image pipeline (${python}, one process, same transforms, same views):`);
    console.log(`  ${base.views_per_s.toFixed(0)} views/s`);
    console.log(`ratio: ${(ours / base.views_per_s).toFixed(2)}x torchvision`);
  }
}
images.dispose();
