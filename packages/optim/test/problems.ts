import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from '@selfsup/core';
import { relativeError } from '@selfsup/core/testing';
import trajectories from './fixtures/trajectories.json';
import { adamw, lars, sgd, warmupCosine, type ParamGroup } from '../src/index';

export type Fixture = typeof trajectories;
export type ProblemName = 'quadratic' | 'mlp';
export const fixture: Fixture = trajectories;

interface FixtureGroup {
  match: string;
  lrScale?: number;
  weightDecay?: number;
}

/** Builds our optimizer from a fixture case's config (RegExp sources become RegExps). */
export function optimizerFromConfig(config: Record<string, unknown>): Optimizer {
  const c = config as Record<string, any>;
  const groups: ParamGroup[] = ((c.groups ?? []) as FixtureGroup[]).map((g) => ({ ...g, match: new RegExp(g.match) }));
  const lr = c.schedule ? warmupCosine(c.schedule) : c.lr;
  switch (c.kind) {
    case 'sgd':
      return sgd({ lr, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay, groups });
    case 'adamw':
      return adamw({ lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay, groups });
    case 'lars':
      // The reference excludes names containing "bias", as SimCLR's exclude list.
      return lars({ lr, momentum: c.momentum, weightDecay: c.weightDecay, eta: c.eta, trustClip: c.trustClip, exclude: ['bias'], groups });
    default:
      throw new Error(`unknown kind ${c.kind}`);
  }
}

/** The fixture's problem as tfjs variables plus a loss; dispose() frees everything. */
export class Problem {
  readonly variables: tf.Variable[];
  private readonly data: tf.Tensor[];

  constructor(
    readonly name: ProblemName,
    prefix = '',
  ) {
    const p = fixture.problems[name] as any;
    const shapes = p.shapes as Record<string, number[]>;
    this.variables = Object.keys(shapes).map((n) => tf.variable(tf.tensor(p.w0[n], shapes[n], 'float32'), true, prefix + n));
    this.data =
      name === 'quadratic'
        ? [tf.tensor1d(p.a, 'float32'), tf.tensor1d(p.c, 'float32')]
        : [tf.tensor2d(p.x, [16, 4], 'float32'), tf.tensor2d(p.y, [16, 2], 'float32')];
  }

  loss(): tf.Scalar {
    if (this.name === 'quadratic') {
      const [a, c] = this.data;
      return tf.mul(tf.scalar(0.5), tf.sum(tf.mul(a, tf.square(tf.sub(this.variables[0], c)))));
    }
    const [x, y] = this.data;
    const [w1, b1, w2, b2] = this.variables;
    const h = tf.tanh(tf.add(tf.matMul(x, w1), b1));
    const out = tf.add(tf.matMul(h, w2), b2);
    return tf.mean(tf.square(tf.sub(out, y)));
  }

  /** One optimisation step; returns the loss before it. */
  step(opt: Optimizer): number {
    const { value, grads } = tf.variableGrads(() => this.loss(), this.variables);
    opt.step(this.variables.map((v) => ({ variable: v, gradient: grads[v.name] })));
    const loss = value.dataSync()[0];
    value.dispose();
    tf.dispose(grads);
    return loss;
  }

  weights(): Record<string, Float32Array> {
    return Object.fromEntries(this.variables.map((v) => [v.name, v.dataSync() as Float32Array]));
  }

  dispose(): void {
    tf.dispose([...this.variables, ...this.data]);
  }
}


type Weights = Record<string, number[]>;

/** Largest relative weight error over all variables of the problem. */
export function worstWeightError(problem: Problem, ref: Weights): number {
  const ours = problem.weights();
  return Math.max(...Object.keys(ref).map((name) => relativeError(ours[name], ref[name])));
}

/**
 * Replays a fixture case feeding our optimizer torch's own gradients, so only the update rule
 * (and float32 rounding) can differ; returns the largest relative weight error over the steps.
 */
export function replayWithTorchGradients(caseName: string): number {
  const c = (fixture.cases as unknown as Record<string, Fixture['cases']['quad_sgd']>)[caseName];
  const problem = new Problem(c.problem as ProblemName);
  const opt = optimizerFromConfig(c.config);
  const shapes = fixture.problems[c.problem as ProblemName].shapes as Record<string, number[]>;
  try {
    let worst = 0;
    for (let t = 0; t < fixture.steps; t++) {
      const grads = c.result.grads[t] as Weights;
      const pairs = problem.variables.map((v) => ({ variable: v, gradient: tf.tensor(grads[v.name], shapes[v.name]) }));
      opt.step(pairs);
      tf.dispose(pairs.map((p) => p.gradient));
      worst = Math.max(worst, worstWeightError(problem, c.result.weights[t] as Weights));
    }
    return worst;
  } finally {
    opt.dispose();
    problem.dispose();
  }
}
