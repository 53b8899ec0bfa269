import * as tf from '@tensorflow/tfjs-core';
import { BaseOptimizer, checkNumber, type CommonOptions, type UpdateContext } from './base-optimizer';
import { BN_AND_BIAS, toPredicate, type NameMatcher } from './groups';

function l2Norm(x: tf.Tensor): tf.Tensor {
  return tf.sqrt(tf.sum(tf.square(x)));
}

export interface LarsOptions extends CommonOptions {
  /** Default 0.9. */
  momentum?: number;
  /** Coupled L2 added to the gradient before the trust ratio. Default 0. */
  weightDecay?: number;
  /** Trust coefficient η. Default 0.001 (SimCLR's EETA_DEFAULT). */
  eta?: number;
  /** LARC's clip mode: the effective rate becomes min(lr, η‖w‖/‖g‖). Default false. */
  trustClip?: boolean;
  /** Nesterov momentum as SimCLR's `use_nesterov`. Default false. */
  nesterov?: boolean;
  /**
   * Variables excluded from both weight decay and adaptation (strings are RegExp sources, as
   * SimCLR's `exclude_from_weight_decay`). Default `[BN_AND_BIAS]`.
   */
  exclude?: readonly (NameMatcher | string)[];
}

/**
 * google-research/simclr tf2/lars_optimizer.py, classic momentum: g += wd·w (unless excluded);
 * trust = η‖w‖/‖g‖ when both norms > 0, else 1 (excluded: 1); lr' = lr·trust;
 * v = m·v + lr'·g; w −= v (Nesterov: w −= m·v + lr'·g).
 */
export class Lars extends BaseOptimizer {
  readonly kind = 'lars';
  private readonly momentum: number;
  private readonly eta: number;
  private readonly trustClip: boolean;
  private readonly nesterov: boolean;
  private readonly excluded: ((name: string) => boolean)[];
  private readonly excludedCache = new Map<string, boolean>();

  constructor(options: LarsOptions) {
    super(options);
    const { momentum = 0.9, eta = 0.001, trustClip = false, nesterov = false, exclude = [BN_AND_BIAS] } = options;
    checkNumber(momentum, 'momentum', (v) => v >= 0 && v < 1, 'in [0, 1)');
    checkNumber(eta, 'eta', (v) => v > 0, 'as a finite number > 0 (SimCLR: 0.001)');
    this.momentum = momentum;
    this.eta = eta;
    this.trustClip = trustClip;
    this.nesterov = nesterov;
    this.excluded = exclude.map(toPredicate);
  }

  private isExcluded(name: string): boolean {
    let found = this.excludedCache.get(name);
    if (found === undefined) this.excludedCache.set(name, (found = this.excluded.some((p) => p(name))));
    return found;
  }

  protected update(w: tf.Variable, g: tf.Tensor, { name, lr, weightDecay }: UpdateContext): void {
    const excluded = this.isExcluded(name);
    const d = weightDecay !== 0 && !excluded ? tf.add(g, tf.mul(tf.scalar(weightDecay), w)) : g;
    let scaledLr: tf.Tensor = tf.scalar(lr);
    if (!excluded) {
      // Not tf.norm: it casts through the chained-op API, which tfjs-core alone does not register.
      const wNorm = l2Norm(w);
      const dNorm = l2Norm(d);
      const one = tf.scalar(1);
      const zero = tf.scalar(0);
      const ratio = tf.div(tf.mul(tf.scalar(this.eta), wNorm), dNorm);
      const trust = tf.where(tf.greater(wNorm, zero), tf.where(tf.greater(dNorm, zero), ratio, one), one);
      scaledLr = this.trustClip ? tf.minimum(trust, scaledLr) : tf.mul(scaledLr, trust);
    }
    const m = tf.scalar(this.momentum);
    const v0 = this.getSlot(w, 'momentum') ?? tf.zerosLike(w);
    const step = tf.mul(scaledLr, d);
    const v = tf.add(tf.mul(m, v0), step);
    this.setSlot(w, 'momentum', v);
    const update = this.nesterov ? tf.add(tf.mul(m, v), step) : v;
    w.assign(tf.sub(w, update));
  }

  protected config(): Record<string, unknown> {
    return { momentum: this.momentum, eta: this.eta, trustClip: this.trustClip, nesterov: this.nesterov };
  }
}

/** LARS as in SimCLR (layer-wise trust ratio; batch norm and bias excluded by default). */
export function lars(options: LarsOptions): Lars {
  return new Lars(options);
}
