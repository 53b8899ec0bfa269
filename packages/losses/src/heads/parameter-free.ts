import * as tf from '@tensorflow/tfjs-core';
import { LossError } from '../errors';
import { uniqueScope } from './scope';
import type { ProjectionHead } from './types';

function parameterFree(kind: string, map: (h: tf.Tensor2D) => tf.Tensor2D, layered: boolean): ProjectionHead {
  const check = (h: tf.Tensor2D) => {
    if (h.rank !== 2) {
      throw new LossError({
        code: 'HEAD_BAD_INPUT',
        problem: `${kind} head expects h of shape [batch, features], got [${h.shape.join(', ')}]`,
        fix: 'flatten or pool the backbone output to [batch, features] first',
      });
    }
  };
  return {
    name: uniqueScope(kind),
    apply: (h) => (check(h), tf.tidy(() => map(h))),
    layers: (h) => (check(h), layered ? [tf.tidy(() => map(h))] : []),
    reset: () => {},
    trainableVariables: () => [],
    nonTrainableVariables: () => [],
    dispose: () => {},
  };
}

/** No head: z = h (the "none" baseline). Returns a copy, so disposing z leaves h alone. */
export function identityHead(): ProjectionHead {
  return parameterFree('identity', (h) => tf.clone(h), false);
}

export interface DirectClrOptions {
  /** d0: how many leading feature dims InfoNCE sees. */
  keepDims?: number;
  /** @deprecated The old name of `keepDims` (docs/naming.md: `dims` is a list of widths). */
  dims?: number;
}

/** DirectCLR (Jing et al. 2022): z = h[:, :d0], InfoNCE on a fixed subvector, no parameters. */
export function directclr(options: DirectClrOptions): ProjectionHead {
  const dims = options.keepDims ?? options.dims;
  if (dims === undefined || !Number.isInteger(dims) || dims < 1) {
    throw new LossError({
      code: 'HEAD_BAD_DIMS',
      problem: `directclr() got keepDims ${String(dims)}`,
      fix: 'pass the number of leading feature dims to keep, e.g. { keepDims: 64 } for a 512-d ResNet-18',
    });
  }
  return parameterFree(
    'directclr',
    (h) => {
      if (h.shape[1] < dims) {
        throw new LossError({
          code: 'HEAD_BAD_INPUT',
          problem: `directclr({ keepDims: ${dims} }) got h with ${h.shape[1]} features`,
          fix: `use keepDims ≤ ${h.shape[1]}`,
        });
      }
      return tf.slice(h, [0, 0], [h.shape[0], dims]);
    },
    true,
  );
}

export interface ReweightOptions {
  /** κ ≥ 1: feature j is scaled by κ^(−j), so later dims weigh less in the cosine. */
  kappa: number;
}

/**
 * Parameter-free reweighting head (Xue et al. 2024): z_j = κ^(−j) h_j, j = 0, 1, ... (a common
 * factor κ^(−1) more or less changes nothing under cosine similarity).
 */
export function reweightHead({ kappa }: ReweightOptions): ProjectionHead {
  if (typeof kappa !== 'number' || !Number.isFinite(kappa) || kappa <= 0) {
    throw new LossError({
      code: 'HEAD_BAD_OPTION',
      problem: `reweightHead() got kappa ${String(kappa)}`,
      fix: 'pass a finite kappa > 0 (κ = 1 is the identity; the paper uses κ slightly above 1)',
    });
  }
  return parameterFree(
    'reweight',
    (h) => tf.mul(h, tf.pow(tf.scalar(kappa), tf.neg(tf.range(0, h.shape[1], 1, 'float32')))),
    true,
  );
}
