/**
 * The SimCLR step benchmark itself, shared by `pnpm bench` (src/step.ts) and the GPU machine's
 * entry (src/gpu-entry.ts): ResNet-18 (CIFAR stem), head 512-512-128, NT-Xent τ = 0.5, SGD with
 * momentum, `contrastiveStep` of @selfsup/losses (the Trainer's step) on the active backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { resnet18 } from '@selfsup/backbones';
import { contrastiveStep, joint, mlpHead, type StepBackbone } from '@selfsup/losses';
import { sgd } from '@selfsup/optim';
import { countGpuWork, registerWebGPUTrainingKernels, useStockWebGPUKernels } from '@selfsup/webgpu-kernels';
import { MemoryPeak, mib, profileKernels, randomViews } from './setup';

export interface StepBenchOptions {
  /** 2N: views per step. */
  batch: number;
  /** GradCache chunk in views; undefined: the plain step. */
  chunkSize?: number;
  steps: number;
  warmup: number;
  /** Per-kernel profile of one step (webgpu always prints its top 5). */
  profile: boolean;
}

export interface StepBenchResult {
  viewsPerSec: number;
  ms: number;
  /** webgpu: the same step with tfjs' stock kernels. */
  stock?: { viewsPerSec: number; ms: number };
}

interface Measured {
  viewsPerSec: number;
  ms: number;
}

/**
 * Times the step and prints what it measured. On webgpu it runs twice in one process, with
 * @selfsup/webgpu-kernels and with tfjs' stock kernels, each with its top-5 kernels and its
 * dispatches, submits and GPU→CPU reads per step. Disposes its model and data when done.
 */
export async function benchSimclrStep(args: StepBenchOptions): Promise<StepBenchResult> {
  const chunkSize = args.chunkSize;
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

  /** Warm-up, optional profile, then the timed steps, with their report lines. */
  async function measure(label: string, options: { profileTop?: number; gpu?: ReturnType<typeof countGpuWork> } = {}): Promise<Measured> {
    for (let i = 0; i < args.warmup; i++) {
      const l = step();
      await l.data();
      l.dispose();
    }
    if (options.profileTop !== undefined) {
      // After the warm-up: a first step also compiles every pipeline, which software adapters
      // (lavapipe) do lazily, inside the kernels' GPU time.
      console.log(`${label}: top ${options.profileTop} kernels of one step (ms, nested kernels included${args.warmup === 0 ? '; no warm-up, so pipeline compilation included' : ''}):`);
      console.log((await profileKernels(() => step(), options.profileTop)).join('\n'));
    }
    const times: number[] = [];
    let lastLoss = NaN;
    options.gpu?.reset();
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
    console.log(`${label}: ${viewsPerSec.toFixed(2)} views/s, ${ms.toFixed(0)} ms/step (mean of ${args.steps} after ${args.warmup} warm-up; steps ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s), loss ${lastLoss.toFixed(4)}`);
    if (options.gpu) {
      const c = options.gpu.read();
      const per = (n: number) => (n / args.steps).toFixed(0);
      console.log(`${' '.repeat(label.length)}  per step: ${per(c.dispatches)} dispatches, ${per(c.submits)} submits, ${per(c.reads)} GPU→CPU reads (the loss read that ends each timed step included)`);
    }
    return { ms, viewsPerSec };
  }

  let result: StepBenchResult;
  if (tf.getBackend() === 'webgpu') {
    const gpu = countGpuWork((tf.backend() as unknown as { device: Parameters<typeof countGpuWork>[0] }).device);
    registerWebGPUTrainingKernels();
    const ours = await measure('tfjs webgpu, @selfsup/webgpu-kernels', { profileTop: 5, gpu });
    useStockWebGPUKernels();
    const stock = await measure('tfjs webgpu, stock kernels', { profileTop: 5, gpu });
    registerWebGPUTrainingKernels();
    gpu.stop();
    console.log(`speedup over stock tfjs-webgpu kernels: ${(stock.ms / ours.ms).toFixed(2)}`);
    result = { ...ours, stock };
  } else {
    if (args.profile) {
      console.log('kernel profile of one step (ms, nested kernels included):');
      console.log((await profileKernels(() => step())).join('\n'));
    }
    result = await measure('tfjs');
  }

  const heap = peak.wasmHeap();
  console.log(`         peak memory: tensors ${mib(peak.tensorBytes)}, ${heap === null ? '' : `wasm heap ${mib(heap)}, `}process RSS ${mib(peak.rss)}`);
  tf.dispose([v1, v2]);
  tf.disposeVariables();
  return result;
}
