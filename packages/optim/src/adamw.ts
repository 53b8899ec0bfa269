import * as tf from '@tensorflow/tfjs-core';
import { BaseOptimizer, checkNumber, type CommonOptions, type UpdateContext } from './base-optimizer';

export interface AdamWOptions extends CommonOptions {
  /** Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled: `w -= lr · weightDecay · w` before the Adam step. Default 0.01 (torch's default). */
  weightDecay?: number;
}

/**
 * torch.optim.AdamW (amsgrad off): w *= 1 − lr·wd; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 * w −= lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps), with t counted per variable.
 */
export class AdamW extends BaseOptimizer {
  readonly kind = 'adamw';
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;

  constructor(options: AdamWOptions) {
    super({ ...options, weightDecay: options.weightDecay ?? 0.01 });
    const { betas = [0.9, 0.999], eps = 1e-8 } = options;
    checkNumber(betas[0], 'betas[0]', (v) => v >= 0 && v < 1, 'in [0, 1)');
    checkNumber(betas[1], 'betas[1]', (v) => v >= 0 && v < 1, 'in [0, 1)');
    checkNumber(eps, 'eps', (v) => v >= 0, 'as a finite number >= 0');
    [this.beta1, this.beta2] = betas;
    this.eps = eps;
  }

  protected update(w: tf.Variable, g: tf.Tensor, { lr, weightDecay, count }: UpdateContext): void {
    const t = count + 1;
    // Scalars are formed in float64 and rounded once to float32, as torch does with Python floats.
    const decayed = weightDecay !== 0 ? tf.mul(w, tf.scalar(1 - lr * weightDecay)) : w;
    const m0 = this.getSlot(w, 'exp_avg') ?? tf.zerosLike(w);
    const v0 = this.getSlot(w, 'exp_avg_sq') ?? tf.zerosLike(w);
    const m = tf.add(tf.mul(m0, tf.scalar(this.beta1)), tf.mul(tf.scalar(1 - this.beta1), g));
    const v = tf.add(tf.mul(v0, tf.scalar(this.beta2)), tf.mul(tf.mul(tf.scalar(1 - this.beta2), g), g));
    this.setSlot(w, 'exp_avg', m);
    this.setSlot(w, 'exp_avg_sq', v);
    const stepSize = lr / (1 - this.beta1 ** t);
    const denom = tf.add(tf.div(tf.sqrt(v), tf.scalar(Math.sqrt(1 - this.beta2 ** t))), tf.scalar(this.eps));
    // Same association as torch's addcdiv: (step_size·m)/denom.
    w.assign(tf.sub(decayed, tf.div(tf.mul(tf.scalar(stepSize), m), denom)));
  }

  protected config(): Record<string, unknown> {
    return { betas: [this.beta1, this.beta2], eps: this.eps };
  }
}

/** Adam with decoupled weight decay, exactly as torch.optim.AdamW. */
export function adamw(options: AdamWOptions): AdamW {
  return new AdamW(options);
}
