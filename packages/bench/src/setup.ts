import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { setupWasmTraining } from '@selfsup/wasm-kernels/node';
import { useBackend } from '@selfsup/core';

const BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;

export interface BenchArgs {
  backend: (typeof BACKENDS)[number];
  batch: number;
  chunk: number;
  steps: number;
  warmup: number;
  threads: number;
  torch: boolean;
  profile: boolean;
}

export function parseBenchArgs(defaults: Partial<BenchArgs> = {}): BenchArgs {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: defaults.backend ?? 'wasm' },
      batch: { type: 'string', default: String(defaults.batch ?? 256) },
      chunk: { type: 'string', default: String(defaults.chunk ?? 64) },
      steps: { type: 'string', default: String(defaults.steps ?? 2) },
      warmup: { type: 'string', default: String(defaults.warmup ?? 1) },
      threads: { type: 'string', default: String(defaults.threads ?? availableParallelism()) },
      'no-torch': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
    },
  });
  const backend = values.backend as BenchArgs['backend'];
  if (!BACKENDS.includes(backend)) throw new Error(`--backend ${backend}: use ${BACKENDS.join(', ')}`);
  return {
    backend,
    batch: Number(values.batch),
    chunk: Number(values.chunk),
    steps: Number(values.steps),
    warmup: Number(values.warmup),
    threads: Number(values.threads),
    torch: !values['no-torch'],
    profile: values.profile ?? false,
  };
}

/** Activates the backend; for wasm, with this repo's training kernels and threads. */
export async function activate(args: BenchArgs): Promise<string> {
  if (args.backend === 'wasm') {
    const { threads } = await setupWasmTraining({ threads: args.threads });
    return `wasm (threaded SIMD, ${threads} thread${threads === 1 ? '' : 's'}, @selfsup/wasm-kernels)`;
  }
  if (args.backend === 'webgpu') {
    // A software adapter (lavapipe, SwiftShader) is slow but real WebGPU: fine for measuring kernels.
    return `webgpu (${(await useBackend('webgpu', { allowSoftwareAdapter: true })).reason})`;
  }
  await tf.setBackend('cpu');
  return 'cpu';
}

/** Peak memory as seen three ways: tfjs tensors, the wasm heap (grows only), process RSS. */
export class MemoryPeak {
  tensorBytes = 0;
  rss = 0;
  sample(): void {
    this.tensorBytes = Math.max(this.tensorBytes, tf.memory().numBytes);
    this.rss = Math.max(this.rss, process.memoryUsage().rss);
  }
  wasmHeap(): number | null {
    const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
    return backend.wasm?.HEAPU8?.buffer.byteLength ?? null;
  }
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Random views in [0, 1], NHWC, fixed across steps (the benchmark times compute, not data). */
export function randomViews(rows: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([rows, 32, 32, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

/**
 * Per-kernel time of one call of `f`, the `top` slowest kernels (kernels nested in our gradient
 * kernels are listed too). On webgpu the times come from timestamp queries, one pass per kernel.
 */
export async function profileKernels(f: () => tf.TensorContainer, top = 15): Promise<string[]> {
  const info = await tf.profile(() => f());
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const ms = await k.kernelTimeMs;
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += typeof ms === 'number' ? ms : 0;
    entry.calls += 1;
    byName.set(k.name, entry);
  }
  return [...byName.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([name, e]) => `  ${name.padEnd(24)} ${e.ms.toFixed(0).padStart(7)} ms  ${e.calls} calls`);
}
