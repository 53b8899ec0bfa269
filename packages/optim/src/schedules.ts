import { OptimError } from './errors';

/**
 * A learning-rate schedule: a pure function from the 0-based step index (the optimizer's
 * `iterations` before the step) to the learning rate of that step.
 */
export type Schedule = (step: number) => number;

function check(ok: boolean, what: string, value: unknown, fix: string): void {
  if (!ok) throw new OptimError({ code: 'OPTIM_INVALID_SCHEDULE', problem: `${what} is ${String(value)}`, fix });
}

function checkLr(name: string, lr: number): void {
  check(Number.isFinite(lr) && lr >= 0, name, lr, `pass a finite ${name} >= 0`);
}

function checkSteps(name: string, n: number, min: number): void {
  check(Number.isInteger(n) && n >= min, name, n, `pass an integer ${name} >= ${min}`);
}

/** The same learning rate at every step. */
export function constant(lr: number): Schedule {
  checkLr('lr', lr);
  return () => lr;
}

export interface LinearWarmupOptions {
  /** Learning rate reached at `warmupSteps` and held after it. */
  lr: number;
  warmupSteps: number;
  /** Learning rate at step 0 (default 0, as SimCLR). */
  startLr?: number;
}

/** Linear ramp from `startLr` at step 0 to `lr` at `warmupSteps`, then constant. */
export function linearWarmup({ lr, warmupSteps, startLr = 0 }: LinearWarmupOptions): Schedule {
  checkLr('lr', lr);
  checkLr('startLr', startLr);
  checkSteps('warmupSteps', warmupSteps, 0);
  return (step) => (step < warmupSteps ? startLr + ((lr - startLr) * step) / warmupSteps : lr);
}

export interface CosineOptions {
  /** Learning rate at step 0. */
  lr: number;
  /** Step at which the learning rate reaches `finalLr`; held there after. */
  totalSteps: number;
  /** Default 0. */
  finalLr?: number;
}

function cosineBetween(lr: number, finalLr: number, t: number, span: number): number {
  return finalLr + (lr - finalLr) * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, span)) / span));
}

/** Half-cosine decay from `lr` to `finalLr` over `totalSteps` (torch's CosineAnnealingLR closed form, `eta_min` = finalLr). */
export function cosine({ lr, totalSteps, finalLr = 0 }: CosineOptions): Schedule {
  checkLr('lr', lr);
  checkLr('finalLr', finalLr);
  checkSteps('totalSteps', totalSteps, 1);
  return (step) => cosineBetween(lr, finalLr, step, totalSteps);
}

export interface WarmupCosineOptions {
  /** Peak learning rate, reached at `warmupSteps`. */
  lr: number;
  warmupSteps: number;
  /** Step at which the cosine reaches `finalLr`; held there after. */
  totalSteps: number;
  /** Default 0. */
  finalLr?: number;
  /** Learning rate at step 0 (default 0, as SimCLR). */
  startLr?: number;
}

/**
 * SimCLR's per-step schedule (tf2 `WarmUpAndCosineDecay`): linear warm-up from `startLr` to `lr`
 * over `warmupSteps`, then a half cosine from `lr` to `finalLr` at `totalSteps`.
 */
export function warmupCosine({ lr, warmupSteps, totalSteps, finalLr = 0, startLr = 0 }: WarmupCosineOptions): Schedule {
  checkLr('lr', lr);
  checkLr('finalLr', finalLr);
  checkLr('startLr', startLr);
  checkSteps('warmupSteps', warmupSteps, 0);
  checkSteps('totalSteps', totalSteps, warmupSteps + 1);
  const span = totalSteps - warmupSteps;
  return (step) =>
    step < warmupSteps
      ? startLr + ((lr - startLr) * step) / warmupSteps
      : cosineBetween(lr, finalLr, step - warmupSteps, span);
}

export interface StepOptions {
  lr: number;
  /** Steps at which the learning rate is multiplied by `gamma` (torch's MultiStepLR). */
  milestones: readonly number[];
  /** Default 0.1. */
  gamma?: number;
}

/** Piecewise constant: `lr · gamma^k` where k counts the milestones <= step. */
export function step({ lr, milestones, gamma = 0.1 }: StepOptions): Schedule {
  checkLr('lr', lr);
  check(Number.isFinite(gamma) && gamma >= 0, 'gamma', gamma, 'pass a finite gamma >= 0 (0.1 divides by ten)');
  milestones.forEach((m, i) => {
    checkSteps(`milestones[${i}]`, m, 0);
    check(i === 0 || m > milestones[i - 1], `milestones[${i}]`, m, 'list milestones in increasing order');
  });
  const sorted = [...milestones];
  return (t) => {
    let value = lr;
    for (const m of sorted) if (t >= m) value *= gamma;
    return value;
  };
}

/** The schedules, as one namespace: `schedules.warmupCosine({...})`. */
export const schedules = { constant, linearWarmup, cosine, warmupCosine, step } as const;
