import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from '@selfsup/core';
import { stopGradient } from '../detach';
import { LossError } from '../errors';
import type { ProjectionHead } from '../heads/types';
import { stackedInfoNCE, stackedInfoNCEWithStats } from '../infonce';
import { checkStacked, checkTemperature } from '../validate';
import { stackPair } from './embed';
import { gradientDescent } from './gradient-descent';
import type { ObjectiveLossOptions, ParametricObjective } from './types';

export interface ParametricOptions {
  temperature: number;
  /** K: inner head steps per training step. Default 5. */
  innerSteps?: number;
  /** The head's own optimizer (e.g. `sgd({ lr, momentum })` from @selfsup/optim). */
  optimizer?: Optimizer;
  /** Without `optimizer`: plain gradient descent on the head at this learning rate. */
  lr?: number;
  /** @deprecated The old name of `lr` (docs/naming.md). */
  learningRate?: number;
  /** λ: the inner objective is L(θ, φ) + λ/2 Σ‖φ‖² over the head's trainable variables. Default 0. */
  weightDecay?: number;
  /**
   * Fit a fresh head every step instead of warm-starting: before every headStep, φ is re-drawn
   * from the head's seeded initialiser and the head optimizer returns to the state it had when
   * the objective was made (no momentum carried over); the training-mode `loss` then sets the
   * head's batch-norm running statistics to this batch's (momentum 1), so that they describe the
   * head that was fitted, not an average over unrelated ones. Default false.
   */
  reset?: boolean;
}

function requireGradients(): void {
  if (tf.getGradient(tf.RealDiv) == null) {
    throw new LossError({
      code: 'GRADIENTS_NOT_REGISTERED',
      problem: 'parametric headStep() needs gradients, and none are registered with this copy of tfjs-core',
      fix: 'install a single version of @tensorflow/tfjs-core (npm ls @tensorflow/tfjs-core); @selfsup/core registers the gradients on import',
    });
  }
}

/**
 * The head as a parametric term of the objective (our reading of Gupta et al., arXiv 2212.11491):
 * L*(θ) = L(θ, φ*(θ)) with φ*(θ) ≈ K inner steps on stop-gradient(h) from the previous φ. By
 * Danskin's theorem ∇_θ L* = ∂_θ L(θ, φ*), so `loss` uses the fitted head as a constant: the
 * backbone gradient flows through it, and none reaches the head's variables.
 */
export function parametric(head: ProjectionHead, options: ParametricOptions): ParametricObjective {
  const { temperature } = options ?? ({} as ParametricOptions);
  checkTemperature(temperature, 'parametric()');
  const innerSteps = options.innerSteps ?? 5;
  const weightDecay = options.weightDecay ?? 0;
  const reset = options.reset ?? false;
  if (!Number.isInteger(innerSteps) || innerSteps < 1) {
    throw new LossError({
      code: 'OBJECTIVE_BAD_OPTION',
      problem: `parametric() got innerSteps ${String(innerSteps)}`,
      fix: 'pass innerSteps as an integer ≥ 1 (5 is a good default; 1 behaves much like joint)',
    });
  }
  if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
    throw new LossError({
      code: 'OBJECTIVE_BAD_OPTION',
      problem: `parametric() got weightDecay ${String(weightDecay)}`,
      fix: 'pass a finite weightDecay ≥ 0, e.g. 1e-6, or leave it out',
    });
  }
  let optimizer = options.optimizer;
  let ownsOptimizer = false;
  if (optimizer === undefined) {
    const lr = options.lr ?? options.learningRate;
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
      throw new LossError({
        code: 'OBJECTIVE_NO_OPTIMIZER',
        problem: `parametric() got neither an optimizer nor a learning rate (lr: ${String(lr)})`,
        fix: 'pass { optimizer: sgd({ lr: 0.3, momentum: 0.9 }) } from @selfsup/optim, or { lr: 0.3 } for plain gradient descent',
      });
    }
    optimizer = gradientDescent(lr);
    ownsOptimizer = true;
  }
  const inner = optimizer;
  // The optimizer as it was before any step: what `reset` returns it to.
  const freshState = reset ? inner.state() : undefined;
  const statisticsMomentum = reset ? 1 : undefined;

  const where = `${head.name}: objective`;

  /** The inner objective on the detached stacked features f = [f1; f2]. */
  function innerLoss(f: tf.Tensor2D, variables: tf.Variable[]): tf.Scalar {
    // Batch statistics as in training, but running statistics move once per training step
    // (in `loss`), not K + 1 times.
    const loss = stackedInfoNCE(head.apply(f, { training: true, updateStatistics: false }), temperature);
    if (weightDecay === 0) return loss;
    const penalty = tf.addN(variables.map((v) => tf.sum(tf.square(v))));
    return tf.add(loss, tf.mul(penalty, weightDecay / 2));
  }

  const stackedLoss = (h: tf.Tensor2D, { training = true }: ObjectiveLossOptions = {}): tf.Scalar => {
    checkStacked(h, where);
    return tf.tidy(() => stackedInfoNCE(head.apply(h, { training, frozen: true, statisticsMomentum }), temperature));
  };

  function stackedHeadStep(h: tf.Tensor2D): tf.Tensor1D | undefined {
    checkStacked(h, where);
    const variables = head.trainableVariables();
    if (variables.length === 0) return undefined;
    requireGradients();
    if (freshState) {
      head.reset();
      inner.loadState(freshState);
    }
    return tf.tidy(() => {
      // Detached, so that a headStep inside the caller's gradient tape adds nothing to θ's gradient.
      const f = stopGradient(h);
      const losses: tf.Scalar[] = [];
      for (let k = 0; k < innerSteps; k++) {
        losses.push(
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => innerLoss(f, variables), variables);
            inner.step(variables.filter((v) => grads[v.name] !== undefined).map((v) => ({ variable: v, gradient: grads[v.name] })));
            return value;
          }),
        );
      }
      return tf.stack(losses) as tf.Tensor1D;
    });
  }

  return {
    scheme: 'parametric',
    head,
    temperature,
    variables: () => [],
    loss: (h1, h2, options) => tf.tidy(() => stackedLoss(stackPair(h1, h2, where), options)),
    lossWithStats: (h1, h2, { training = true } = {}) =>
      tf.tidy(() =>
        stackedInfoNCEWithStats(head.apply(stackPair(h1, h2, where), { training, frozen: true, statisticsMomentum }), temperature),
      ),
    stackedLoss,
    headStep: (h1, h2) => tf.tidy(() => stackedHeadStep(stackPair(h1, h2, where))),
    stackedHeadStep,
    dispose() {
      head.dispose();
      if (freshState) tf.dispose(Object.values(freshState.tensors));
      if (ownsOptimizer) inner.dispose();
    },
  };
}
