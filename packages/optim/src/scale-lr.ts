import { OptimError } from './errors';

function checkArgs(base: number, batchSize: number): void {
  if (!(Number.isFinite(base) && base >= 0)) {
    throw new OptimError({ code: 'OPTIM_INVALID_LR', problem: `base learning rate is ${base}`, fix: 'pass a finite base >= 0' });
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new OptimError({ code: 'OPTIM_INVALID_LR', problem: `batch size is ${batchSize}`, fix: 'pass the batch size as an integer >= 1' });
  }
}

/** Learning-rate scaling with batch size, as SimCLR's `learning_rate_scaling` flag. */
export const scaleLr = {
  /** `base · B / 256` (Goyal et al.; SimCLR with LARS: 0.3 · B/256). */
  linear(base: number, batchSize: number): number {
    checkArgs(base, batchSize);
    return (base * batchSize) / 256;
  },
  /** `base · √B` (SimCLR for small batches: 0.075 · √B). */
  sqrt(base: number, batchSize: number): number {
    checkArgs(base, batchSize);
    return base * Math.sqrt(batchSize);
  },
} as const;
