/**
 * The GPU machine's benchmark: the SimCLR step on WebGPU at each `--batches` size, with
 * @selfsup/webgpu-kernels and with tfjs' stock kernels in the same process, then a summary.
 * Packed with Node, Dawn and the Vulkan loader by `pnpm --filter @selfsup/bench gpu:pack`
 * (→ .gpu/ at the repository root); run there as `bash .gpu/run.sh [options]`.
 *
 *   --batches 256,1024   views per step (2N) to measure; on a software adapter the default is 16
 *   --steps 3 --warmup 1 timed steps and warm-up steps per size and kernel set
 *
 * With $OUT set (the device tool), the summary is also written to $OUT/gpu-bench.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@selfsup/core';
import { registerWebGPUTrainingKernels } from '@selfsup/webgpu-kernels';
import { create, globals } from 'webgpu';
import { benchSimclrStep } from './simclr-step';

// tfjs-backend-webgpu registers itself only if navigator.gpu exists when it is first imported,
// and in this bundle it must be imported here (core's optional import would look for it on disk).
Object.assign(globalThis, globals);
const g = globalThis as { navigator?: object };
g.navigator ??= {};
Object.defineProperty(g.navigator, 'gpu', { value: create([]), configurable: true });
await import('@tensorflow/tfjs-backend-webgpu');
registerWebGPUTrainingKernels(); // core cannot import the package from inside a bundle

const { values } = parseArgs({
  options: {
    batches: { type: 'string' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
  },
});
const selection = await useBackend('webgpu', { allowSoftwareAdapter: true });
console.log(`backend: ${tf.getBackend()} (${selection.reason})`);
const software = /software adapter/.test(selection.reason);
const batches = values.batches ? values.batches.split(',').map(Number) : software ? [16] : [256, 1024];
if (software && !values.batches) console.log('software adapter: 2N = 16 only (pass --batches to choose)');
const [steps, warmup] = [Number(values.steps), Number(values.warmup)];
for (const batch of batches) {
  if (!Number.isInteger(batch) || batch < 2 || batch % 2 !== 0) throw new Error(`--batches: ${batch} is not an even number of views`);
}

const summary: { batch: number; selfsup: number; stock: number; speedup: number }[] = [];
for (const batch of batches) {
  console.log(`\n== SimCLR step, ResNet-18, 2N = ${batch}, unchunked`);
  const result = await benchSimclrStep({ batch, steps, warmup, profile: true });
  const stock = result.stock ?? { viewsPerSec: NaN, ms: NaN };
  summary.push({ batch, selfsup: result.viewsPerSec, stock: stock.viewsPerSec, speedup: stock.ms / result.ms });
}
console.log('\n2N      selfsup views/s   stock views/s   speedup');
for (const s of summary) {
  console.log(`${String(s.batch).padEnd(8)}${s.selfsup.toFixed(1).padStart(15)}${s.stock.toFixed(1).padStart(16)}${s.speedup.toFixed(2).padStart(10)}`);
}
if (process.env.OUT) writeFileSync(join(process.env.OUT, 'gpu-bench.json'), `${JSON.stringify({ backend: selection.reason, summary }, null, 2)}\n`);
