import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer, OptimizerState, VariableGradient, VariableNames } from '@selfsup/core';
import { OptimError } from './errors';
import { GroupResolver, type ParamGroup } from './groups';
import type { Schedule } from './schedules';

/** A fixed learning rate or a schedule of the step. */
export type LearningRate = number | Schedule;

export interface CommonOptions {
  lr: LearningRate;
  /** Default 0. */
  weightDecay?: number;
  /** Per-variable LR and weight-decay multipliers, chosen by name; first match wins. */
  groups?: readonly ParamGroup[];
}

/** What one variable's update gets: learning rate and weight decay after its group. */
export interface UpdateContext {
  name: string;
  lr: number;
  weightDecay: number;
  /** How many times this variable has been updated before this step (AdamW's bias correction). */
  count: number;
}

export const STATE_FORMAT = 'selfsup-optim/1';

export function checkNumber(value: unknown, what: string, ok: (v: number) => boolean, range: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new OptimError({ code: 'OPTIM_INVALID_ARGUMENT', problem: `${what} is ${String(value)}`, fix: `pass ${what} ${range}` });
  }
}

/**
 * Iteration count, schedule, groups and slot tensors shared by every optimizer here. Slots are
 * non-trainable tf.Variables (so `tf.variableGrads` never sees them) updated with `assign`;
 * nothing goes through tfjs' own Optimizer classes, which leak on dispose and on save.
 */
export abstract class BaseOptimizer implements Optimizer {
  abstract readonly kind: string;
  private iters = 0;
  private readonly lr: LearningRate;
  private readonly groups: GroupResolver;
  private readonly slots = new Map<string, Map<string, tf.Variable>>();
  private readonly counts = new Map<string, number>();
  private disposed = false;

  protected constructor({ lr, weightDecay = 0, groups = [] }: CommonOptions) {
    if (typeof lr !== 'function') checkNumber(lr, 'lr', (v) => v >= 0, 'as a finite number >= 0 or a schedule');
    checkNumber(weightDecay, 'weightDecay', (v) => v >= 0, 'as a finite number >= 0');
    this.lr = lr;
    this.groups = new GroupResolver(groups, weightDecay);
  }

  get iterations(): number {
    return this.iters;
  }

  currentLearningRate(): number {
    const lr = typeof this.lr === 'number' ? this.lr : this.lr(this.iters);
    if (!Number.isFinite(lr) || lr < 0) {
      throw new OptimError({
        code: 'OPTIM_INVALID_LR',
        problem: `the schedule gave learning rate ${lr} at step ${this.iters}`,
        fix: 'make the schedule return a finite number >= 0 for every step',
      });
    }
    return lr;
  }

  step(gradients: readonly VariableGradient[]): void {
    this.assertAlive();
    const lr = this.currentLearningRate();
    const seen = new Set<string>();
    // Check everything first, so that a bad entry never leaves a step half applied.
    for (const { variable, gradient } of gradients) {
      const name = variable?.name;
      if (gradient == null || name === undefined) {
        throw new OptimError({
          code: 'OPTIM_MISSING_GRADIENT',
          problem: `step got ${gradient == null ? `no gradient for ${name}` : 'an entry without a variable'}`,
          fix: 'pass { variable, gradient } pairs; leave out variables the loss does not depend on',
        });
      }
      if (seen.has(name)) {
        throw new OptimError({
          code: 'OPTIM_DUPLICATE_VARIABLE',
          problem: `variable ${name} appears twice in one step`,
          fix: 'pass each variable once, with the sum of its gradients',
        });
      }
      seen.add(name);
      if (!tf.util.arraysEqual(variable.shape, gradient.shape)) {
        throw new OptimError({
          code: 'OPTIM_GRADIENT_SHAPE',
          problem: `gradient for ${name} has shape [${gradient.shape}], the variable [${variable.shape}]`,
          fix: 'pass the gradient of the loss with respect to this very variable',
        });
      }
      for (const slot of this.slots.get(name)?.keys() ?? []) this.getSlot(variable, slot);
    }
    for (const { variable, gradient } of gradients) {
      const name = variable.name;
      const group = this.groups.resolve(name);
      const count = this.counts.get(name) ?? 0;
      const ctx: UpdateContext = { name, lr: lr * group.lrScale, weightDecay: group.weightDecay, count };
      tf.tidy(() => this.update(variable, gradient, ctx));
      this.counts.set(name, count + 1);
    }
    this.iters++;
  }

  /** Updates one variable (and its slots) in place; runs inside `tf.tidy`. */
  protected abstract update(variable: tf.Variable, gradient: tf.Tensor, ctx: UpdateContext): void;

  /** JSON-able hyper-parameters, recorded in `state().meta.config` for inspection. */
  protected abstract config(): Record<string, unknown>;

  protected getSlot(variable: tf.Variable, slot: string): tf.Variable | undefined {
    const found = this.slots.get(variable.name)?.get(slot);
    if (found !== undefined && !tf.util.arraysEqual(found.shape, variable.shape)) {
      throw new OptimError({
        code: 'OPTIM_STATE_MISMATCH',
        problem: `slot ${slot} of ${variable.name} has shape [${found.shape}], the variable [${variable.shape}]`,
        fix: 'load a state saved for this model, or a fresh optimizer for a changed model',
      });
    }
    return found;
  }

  /** Sets a slot: assigns in place, or creates it (non-trainable) on first use. */
  protected setSlot(variable: tf.Variable, slot: string, value: tf.Tensor): void {
    const found = this.getSlot(variable, slot);
    if (found !== undefined) {
      found.assign(value);
      return;
    }
    let bySlot = this.slots.get(variable.name);
    if (bySlot === undefined) this.slots.set(variable.name, (bySlot = new Map()));
    bySlot.set(slot, tf.variable(value, false));
  }

  /**
   * `meta`: format, kind, iterations, per-variable update counts, slot list, config (JSON);
   * `tensors`: copies of every slot, named `<variable name>/<slot>` — the name `names` gives the
   * variable, else its engine name. The caller owns (and disposes) the tensors.
   */
  state(names?: VariableNames): OptimizerState {
    this.assertAlive();
    const saved = renamer(names, 'save');
    const tensors: Record<string, tf.Tensor> = {};
    const slots: [string, string][] = [];
    for (const [name, bySlot] of this.slots) {
      for (const [slot, value] of bySlot) {
        tensors[`${saved(name)}/${slot}`] = tf.clone(value);
        slots.push([saved(name), slot]);
      }
    }
    return {
      meta: {
        format: STATE_FORMAT,
        kind: this.kind,
        iterations: this.iters,
        counts: Object.fromEntries([...this.counts].map(([name, n]) => [saved(name), n])),
        slots,
        config: this.config(),
      },
      tensors,
    };
  }

  /**
   * Replaces iterations, counts and slots with copies from `state` (saved with the same `names`);
   * does not take ownership of its tensors.
   */
  loadState(state: OptimizerState, names?: VariableNames): void {
    this.assertAlive();
    const engine = renamer(names, 'load');
    const { meta, tensors } = state;
    const fix = `load a state saved by ${this.kind}() from @selfsup/optim (state().meta, tensors as saved)`;
    const bad = (problem: string) => new OptimError({ code: 'OPTIM_STATE_MISMATCH', problem, fix });
    if (meta?.format !== STATE_FORMAT) throw bad(`state format is ${String(meta?.format)}, expected ${STATE_FORMAT}`);
    if (meta.kind !== this.kind) throw bad(`state was saved by ${String(meta.kind)}, this optimizer is ${this.kind}`);
    const iterations = meta.iterations;
    if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 0) {
      throw bad(`state iterations is ${String(iterations)}`);
    }
    const slots = meta.slots as [string, string][];
    const counts = meta.counts as Record<string, number>;
    if (!Array.isArray(slots) || typeof counts !== 'object' || counts === null) throw bad('state meta lacks slots or counts');
    for (const [name, n] of Object.entries(counts)) {
      if (!Number.isInteger(n) || n < 0) throw bad(`state update count of ${name} is ${String(n)}`);
    }
    for (const [name, slot] of slots) {
      const t = tensors[`${name}/${slot}`];
      if (!(t instanceof tf.Tensor) || t.isDisposed) throw bad(`state lacks tensor ${name}/${slot}`);
    }
    this.disposeSlots();
    for (const [name, slot] of slots) {
      let bySlot = this.slots.get(engine(name));
      if (bySlot === undefined) this.slots.set(engine(name), (bySlot = new Map()));
      const copy = tf.tidy(() => tf.cast(tensors[`${name}/${slot}`], 'float32'));
      bySlot.set(slot, tf.variable(copy, false));
      copy.dispose();
    }
    this.counts.clear();
    for (const [name, n] of Object.entries(counts)) this.counts.set(engine(name), n);
    this.iters = iterations;
  }

  /** Frees every slot tensor; the optimizer cannot step afterwards. Idempotent. */
  dispose(): void {
    this.disposeSlots();
    this.disposed = true;
  }

  private disposeSlots(): void {
    for (const bySlot of this.slots.values()) for (const v of bySlot.values()) v.dispose();
    this.slots.clear();
  }

  private assertAlive(): void {
    if (this.disposed) {
      throw new OptimError({
        code: 'OPTIM_DISPOSED',
        problem: `this ${this.kind} optimizer was disposed`,
        fix: 'create a new optimizer (and loadState a saved state to resume)',
      });
    }
  }
}

/**
 * Engine name → saved name (`save`) or back (`load`), through the caller's names; a variable
 * without one keeps its engine name.
 */
function renamer(names: VariableNames | undefined, direction: 'save' | 'load'): (name: string) => string {
  if (!names) return (name) => name;
  const pairs = [...names].map(([variable, saved]) => (direction === 'save' ? [variable.name, saved] : [saved, variable.name]));
  const map = new Map(pairs as [string, string][]);
  return (name) => map.get(name) ?? name;
}
