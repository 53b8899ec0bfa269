import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak, maxAbsDiff } from '@selfsup/core/testing';
import type { Backbone } from './contract';

export interface ConformanceOptions {
  /** Input batch shape (default [4, 16, 16, 3]); at least 2 images so batch statistics exist. */
  inputShape?: [number, number, number, number];
  /** Seed of the random input images (default 0). */
  seed?: number;
}

export interface ConformanceReport {
  featureDim: number;
  params: number;
  trainable: number;
  nonTrainable: number;
  /** Whether the backbone has running statistics (so train/eval behaviour was checked). */
  checkedBatchNorm: boolean;
  /**
   * Whether gradients were checked. They need tfjs' gradient registry, which tfjs-core alone
   * lacks: import '@tensorflow/tfjs-core/dist/register_all_gradients' (bundlers, vitest) or load
   * '@tensorflow/tfjs'. Without it that rule is skipped and this is false.
   */
  checkedGradients: boolean;
}

/**
 * Checks that a backbone — ours or a user's — keeps the `Backbone` contract: output and tap
 * shapes, variable bookkeeping, batch-norm behaviour (training normalises with the batch and
 * moves the running statistics, eval uses them and changes nothing, `updateStatistics: false` leaves
 * them alone), gradients for every trainable variable, and no tensor leaks. Throws an Error
 * naming the first broken rule; works with any test runner. It runs training-mode forwards, so
 * it changes the backbone's running statistics: use a fresh instance.
 */
export async function backboneConformance(backbone: Backbone, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const shape = options.inputShape ?? [4, 16, 16, 3];
  const fail = (rule: string): never => {
    throw new Error(`backboneConformance(${backbone.name}): ${rule}`);
  };
  const x = tf.randomUniform(shape, 0, 1, 'float32', createRng(options.seed ?? 0).fork('conformance').tfSeed()) as tf.Tensor4D;
  try {
    // Variables: disjoint groups that together make up namedVariables(); countParams matches.
    const trainable = backbone.trainableVariables();
    const nonTrainable = backbone.nonTrainableVariables();
    const named = [...backbone.namedVariables().values()];
    const ids = new Set(named.map((v) => v.id));
    if (trainable.some((v) => !v.trainable)) fail('trainableVariables() holds a variable with trainable = false');
    if (nonTrainable.some((v) => v.trainable)) fail('nonTrainableVariables() holds a variable with trainable = true');
    const grouped = [...trainable, ...nonTrainable];
    if (new Set(grouped.map((v) => v.id)).size !== grouped.length) fail('a variable is listed twice across trainable/non-trainable');
    if (grouped.length !== ids.size || grouped.some((v) => !ids.has(v.id))) {
      fail('namedVariables() is not exactly trainableVariables() ∪ nonTrainableVariables()');
    }
    const params = trainable.reduce((s, v) => s + v.size, 0);
    if (backbone.countParams() !== params) fail(`countParams() = ${backbone.countParams()}, trainable sizes sum to ${params}`);

    // Shapes and finiteness.
    const eval1 = backbone.apply(x, { training: false });
    const evalValues = await eval1.data();
    eval1.dispose();
    if (eval1.shape.join() !== [shape[0], backbone.featureDim].join()) {
      fail(`apply() returned [${eval1.shape.join(', ')}], expected [${shape[0]}, ${backbone.featureDim}]`);
    }
    if (!evalValues.every(Number.isFinite)) fail('apply() returned non-finite features');
    const taps = backbone.taps(x);
    const tapShapes = Object.entries(taps).map(([k, t]) => [k, t.shape] as const);
    tf.dispose(Object.values(taps));
    if (tapShapes.map(([k]) => k).join() !== backbone.tapNames.join()) {
      fail(`taps() keys [${tapShapes.map(([k]) => k).join(', ')}] differ from tapNames [${backbone.tapNames.join(', ')}]`);
    }
    for (const [k, s] of tapShapes) if (s.length !== 2 || s[0] !== shape[0]) fail(`tap ${k} has shape [${s.join(', ')}], expected [${shape[0]}, channels]`);

    // Eval mode is deterministic and touches nothing.
    const before = snapshot(nonTrainable);
    const eval2 = backbone.apply(x);
    const same = maxAbsDiff(evalValues, await eval2.data());
    eval2.dispose();
    if (same !== 0) fail(`two eval-mode calls differ by ${same}`);
    if (changed(before, nonTrainable)) fail('an eval-mode call changed the running statistics');

    const checkedBatchNorm = nonTrainable.length > 0;
    if (checkedBatchNorm) {
      // updateStatistics: false leaves running statistics alone; training uses batch statistics.
      const quiet = backbone.apply(x, { training: true, updateStatistics: false });
      const trainValues = await quiet.data();
      quiet.dispose();
      if (changed(before, nonTrainable)) fail('training with updateStatistics: false changed the running statistics');
      if (maxAbsDiff(evalValues, trainValues) === 0) fail('training-mode output equals eval-mode output: batch statistics are not used');
      // A training call moves them.
      backbone.apply(x, { training: true }).dispose();
      if (!changed(before, nonTrainable)) fail('a training-mode call left every running statistic unchanged');
    }
    tf.dispose(before);

    // Gradients reach every trainable variable. tfjs-core alone has no gradient registry
    // (see ConformanceReport.checkedGradients); without it this rule is skipped.
    const checkedGradients = tf.getGradient('Conv2D') !== undefined && tf.getGradient('Mean') !== undefined;
    if (checkedGradients) {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(backbone.apply(x, { training: true, updateStatistics: false }))) as tf.Scalar,
        trainable,
      );
      value.dispose();
      const missingGrad = trainable.filter((v) => !grads[v.name] || grads[v.name].shape.join() !== v.shape.join());
      tf.dispose(Object.values(grads));
      if (missingGrad.length > 0) fail(`no gradient (or a misshapen one) for ${missingGrad.slice(0, 3).map((v) => v.name).join(', ')}`);
    }

    // No leaks in any mode.
    const leak = async (what: string, fn: () => unknown) => {
      try {
        await expectNoTensorLeak(fn);
      } catch (error) {
        fail(`${what}: ${(error as Error).message}`);
      }
    };
    await leak('apply(eval)', () => backbone.apply(x));
    await leak('apply(training)', () => backbone.apply(x, { training: true }));
    await leak('taps', () => backbone.taps(x, { training: true }));
    if (checkedGradients) {
      await leak('variableGrads', () => {
        const r = tf.variableGrads(() => tf.sum(backbone.apply(x, { training: true })) as tf.Scalar, trainable);
        return [r.value, ...Object.values(r.grads)];
      });
    }
    return {
      featureDim: backbone.featureDim,
      params,
      trainable: trainable.length,
      nonTrainable: nonTrainable.length,
      checkedBatchNorm,
      checkedGradients,
    };
  } finally {
    x.dispose();
  }
}

function snapshot(vars: tf.Variable[]): tf.Tensor[] {
  return vars.map((v) => tf.clone(v));
}

function changed(before: tf.Tensor[], vars: tf.Variable[]): boolean {
  return vars.some((v, i) => tf.tidy(() => tf.any(tf.notEqual(v, before[i])).dataSync()[0] === 1));
}

