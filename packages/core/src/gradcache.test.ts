import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { gradCacheStep, type GradCacheContext } from './gradcache';
import './gradients';
import { createRng } from './rng';
import { relativeError } from './testing';
import { expectNoTensorLeak } from './testing';

const rng = createRng(2212);
const seed = () => rng.tfSeed();

// A small encoder without batch norm (conv → relu → global mean → dense) and a head that lives
// in the loss, as in the parametric scheme.
const conv = tf.variable(tf.randomNormal<tf.Rank.R4>([3, 3, 3, 6], 0, 0.3, 'float32', seed()), true, 'conv');
const dense = tf.variable(tf.randomNormal([6, 5], 0, 0.3, 'float32', seed()), true, 'dense');
const head = tf.variable(tf.randomNormal([5, 4], 0, 0.3, 'float32', seed()), true, 'head');
const views = tf.randomUniform([12, 6, 6, 3], 0, 1, 'float32', seed());

function embed(x: tf.Tensor): tf.Tensor {
  const h = tf.relu(tf.conv2d(x as tf.Tensor4D, conv, 2, 'same'));
  return tf.matMul(tf.mean(h, [1, 2]), dense);
}

/** NT-Xent with τ = 0.5; row i's positive is row i ± N. */
/** A GradCache step over `views` that records each embed call as `pass:chunk@start+rows`. */
function recordedStep(chunkSize: number) {
  const calls: string[] = [];
  const result = gradCacheStep(views, {
    embed: (x, ctx: GradCacheContext) => {
      calls.push(`${ctx.pass}:${ctx.chunk}@${ctx.start}+${x.shape[0]}`);
      return embed(x);
    },
    loss: ntXent,
    variables: [conv, dense],
    lossVariables: [head],
    chunkSize,
  });
  return { calls, result };
}

function ntXent(e: tf.Tensor): tf.Scalar {
  const rows = e.shape[0];
  const n = rows / 2;
  const z = tf.div(tf.matMul(e, head), tf.norm(tf.matMul(e, head), 2, 1, true));
  const sim = tf.div(tf.matMul(z, z, false, true), 0.5);
  const masked = tf.sub(sim, tf.mul(tf.eye(rows), 1e9));
  const positives = tf.concat([tf.range(n, rows, 1, 'int32'), tf.range(0, n, 1, 'int32')]);
  const pos = tf.sum(tf.mul(sim, tf.oneHot(positives, rows)), 1);
  return tf.mean(tf.sub(tf.logSumExp(masked, 1), pos));
}

async function arrays(grads: { gradient: tf.Tensor }[]): Promise<Float32Array[]> {
  return Promise.all(grads.map((g) => g.gradient.data() as Promise<Float32Array>));
}

describe('gradCacheStep', () => {
  it.each([1, 3, 5, 12])('chunks of %i give the unchunked gradients (1e-5 relative)', async (chunkSize) => {
    const reference = tf.variableGrads(() => ntXent(embed(views)), [conv, dense, head]);
    const chunked = gradCacheStep(views, {
      embed,
      loss: ntXent,
      variables: [conv, dense],
      lossVariables: [head],
      chunkSize,
    });
    expect(chunked.gradients.map((g) => g.variable)).toEqual([conv, dense, head]);
    const expected = await arrays([conv, dense, head].map((v) => ({ gradient: reference.grads[v.name] })));
    const actual = await arrays(chunked.gradients);
    for (let i = 0; i < expected.length; i++) {
      expect(relativeError(actual[i], expected[i])).toBeLessThan(1e-5);
    }
    expect(Math.abs((await chunked.loss.data())[0] - (await reference.value.data())[0])).toBeLessThan(1e-5);
    tf.dispose([reference.value, ...Object.values(reference.grads), chunked.loss]);
    chunked.gradients.forEach((g) => g.gradient.dispose());
  });

  it('runs beforeLoss (inner head steps) on the detached embeddings before the loss', async () => {
    const start = head.clone();
    const innerStep = (e: tf.Tensor) =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => ntXent(e), [head]);
        head.assign(tf.sub(head, tf.mul(grads.head, 0.5)));
      });
    // Reference: inner step on stop-gradient(embed(views)), then the full unchunked gradient.
    const e = tf.tidy(() => embed(views));
    innerStep(e);
    e.dispose();
    const reference = tf.variableGrads(() => ntXent(embed(views)), [conv, dense, head]);
    head.assign(start);
    const chunked = gradCacheStep(views, {
      embed,
      loss: ntXent,
      variables: [conv, dense],
      lossVariables: [head],
      chunkSize: 4,
      beforeLoss: innerStep,
    });
    const expected = await arrays([conv, dense, head].map((v) => ({ gradient: reference.grads[v.name] })));
    const actual = await arrays(chunked.gradients);
    for (let i = 0; i < expected.length; i++) {
      expect(relativeError(actual[i], expected[i])).toBeLessThan(1e-5);
    }
    head.assign(start);
    tf.dispose([start, reference.value, ...Object.values(reference.grads), chunked.loss]);
    chunked.gradients.forEach((g) => g.gradient.dispose());
  });

  it('embeds the chunks after the first without a tape; the first runs once, inside the loss tape', () => {
    const { calls, result } = recordedStep(5);
    expect(calls).toEqual(['embed:1@5+5', 'embed:2@10+2', 'backward:0@0+5', 'backward:1@5+5', 'backward:2@10+2']);
    tf.dispose([result.loss, ...result.gradients.map((g) => g.gradient)]);
  });

  it('with inner steps (beforeLoss), embeds every chunk untaped first', () => {
    const calls: string[] = [];
    let seenRows = 0;
    const result = gradCacheStep(views, {
      embed: (x, ctx: GradCacheContext) => {
        calls.push(`${ctx.pass}:${ctx.chunk}`);
        return embed(x);
      },
      loss: ntXent,
      variables: [conv, dense],
      lossVariables: [head],
      chunkSize: 5,
      beforeLoss: (e) => {
        seenRows = e.shape[0];
        calls.push('beforeLoss');
      },
    });
    expect(seenRows).toBe(12);
    expect(calls).toEqual(['embed:0', 'embed:1', 'embed:2', 'beforeLoss', 'backward:0', 'backward:1', 'backward:2']);
    tf.dispose([result.loss, ...result.gradients.map((g) => g.gradient)]);
  });

  it('a single chunk is the plain taped step: one forward pass', () => {
    const { calls, result } = recordedStep(12);
    expect(calls).toEqual(['backward:0@0+12']);
    tf.dispose([result.loss, ...result.gradients.map((g) => g.gradient)]);
  });

  it('keeps the tensor count flat', async () => {
    await expectNoTensorLeak(() => {
      const r = gradCacheStep(views, { embed, loss: ntXent, variables: [conv, dense], lossVariables: [head], chunkSize: 5 });
      return [r.loss, ...r.gradients.map((g) => g.gradient)];
    });
  });

  it('names the fix for a bad chunk size or an embed that drops rows', () => {
    expect(() => gradCacheStep(views, { embed, loss: ntXent, variables: [conv], chunkSize: 0 })).toThrow(
      /positive integer/,
    );
    const before = tf.memory().numTensors;
    expect(() =>
      gradCacheStep(views, {
        embed: (x) => tf.slice(embed(x), [0, 0], [1, -1]),
        loss: ntXent,
        variables: [conv],
        chunkSize: 4,
      }),
    ).toThrow(/one embedding row/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
