/**
 * `pnpm bench`: one SimCLR step — ResNet-18 (CIFAR stem), head 512-512-128, NT-Xent τ = 0.5,
 * SGD — at 2N views on the active backend, next to the PyTorch step with the same model and
 * batch measured in the same run. The step is the one the Trainer runs, `contrastiveStep` of
 * @selfsup/losses with the `joint` objective: the batch goes through GradCache (`--chunk` views
 * at a time, both views of chunk/2 images per chunk; `--chunk 0`: the plain step).
 *   pnpm bench [--batch 256] [--chunk 128] [--steps 2] [--warmup 1] [--threads N] [--backend wasm|cpu|webgpu] [--no-torch] [--profile]
 *
 * On webgpu the step runs twice in the same process, with @selfsup/webgpu-kernels and with tfjs'
 * stock kernels, each with its top-5 kernels and its dispatches, submits and reads per step;
 * `--chunk` defaults to 0 there (the plain step: GPU memory is not wasm's 4 GiB heap).
 */
import { activate, parseBenchArgs } from './setup';
import { benchSimclrStep } from './simclr-step';
import { TorchBracket } from './torch';

const args = parseBenchArgs({ chunk: 128 });
if (args.backend === 'webgpu' && !process.argv.includes('--chunk')) args.chunk = 0;
if (!Number.isInteger(args.batch) || args.batch < 2 || args.batch % 2 !== 0) {
  throw new Error(`--batch ${args.batch}: pass an even number of views (2N: two views of N images)`);
}
// A chunk of at least 2N views is the plain step.
const chunkSize = args.chunk > 0 && args.chunk < args.batch ? args.chunk : undefined;
const backendLabel = await activate(args);
console.log(`SimCLR step: ResNet-18 (CIFAR stem) + head 512-512-128, NT-Xent τ=0.5, SGD; 2N=${args.batch}` +
  `${chunkSize !== undefined ? `, GradCache chunks of ${chunkSize}` : ', unchunked'}`);
console.log(`backend: ${backendLabel}`);
const torch = new TorchBracket(args.torch, { mode: 'step', batch: args.batch, steps: args.steps, warmup: args.warmup, threads: args.threads });
torch.measure();
const { viewsPerSec } = await benchSimclrStep({ ...args, chunkSize });
torch.measure();
for (const line of torch.report(viewsPerSec, 'views/s')) console.log(line);
