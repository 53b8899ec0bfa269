import * as tf from '@tensorflow/tfjs-core';
import { BaseOptimizer, checkNumber, type CommonOptions, type UpdateContext } from './base-optimizer';
import { OptimError } from './errors';

export interface SgdOptions extends CommonOptions {
  /** Default 0 (plain SGD). */
  momentum?: number;
  /** Nesterov momentum; needs momentum > 0. Default false. */
  nesterov?: boolean;
  /** Coupled L2: `g += weightDecay · w` before momentum. Default 0. */
  weightDecay?: number;
}

/**
 * torch.optim.SGD (dampening 0): d = g + wd·w; buf = d on the first step, else m·buf + d;
 * d = nesterov ? d + m·buf : buf; w -= lr·d.
 */
export class Sgd extends BaseOptimizer {
  readonly kind = 'sgd';
  private readonly momentum: number;
  private readonly nesterov: boolean;

  constructor(options: SgdOptions) {
    super(options);
    const { momentum = 0, nesterov = false } = options;
    checkNumber(momentum, 'momentum', (v) => v >= 0 && v < 1, 'in [0, 1)');
    if (nesterov && momentum === 0) {
      throw new OptimError({
        code: 'OPTIM_INVALID_ARGUMENT',
        problem: 'nesterov is true with momentum 0',
        fix: 'set momentum > 0 (e.g. 0.9) or nesterov: false',
      });
    }
    this.momentum = momentum;
    this.nesterov = nesterov;
  }

  protected update(w: tf.Variable, g: tf.Tensor, { lr, weightDecay }: UpdateContext): void {
    let d = weightDecay !== 0 ? tf.add(g, tf.mul(tf.scalar(weightDecay), w)) : g;
    if (this.momentum !== 0) {
      const m = tf.scalar(this.momentum);
      const prev = this.getSlot(w, 'momentum');
      const buf = prev === undefined ? tf.clone(d) : tf.add(tf.mul(prev, m), d);
      this.setSlot(w, 'momentum', buf);
      d = this.nesterov ? tf.add(d, tf.mul(m, buf)) : buf;
    }
    w.assign(tf.sub(w, tf.mul(tf.scalar(lr), d)));
  }

  protected config(): Record<string, unknown> {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }
}

/** SGD with optional momentum, Nesterov and coupled weight decay, exactly as torch.optim.SGD. */
export function sgd(options: SgdOptions): Sgd {
  return new Sgd(options);
}
