import * as tf from '@tensorflow/tfjs-core';
import type { VariableGradient } from './contracts';
import { ArgumentError } from './errors';

/**
 * GradCache (Gao et al. 2021): a contrastive step over a batch too big to backpropagate at once.
 * The loss couples every row, but its gradient with respect to the encoder's variables is
 * Σ_chunks ∂⟨embed(chunk), dL/dE[chunk]⟩/∂θ, so only one chunk's activations need be alive:
 *   1. embed all views chunk by chunk without recording a tape (activations freed at once);
 *   2. `beforeLoss` (e.g. the parametric head's inner steps) on those embeddings, untaped;
 *   3. the loss on all embeddings, with its gradient w.r.t. the embeddings and `lossVariables`;
 *   4. re-embed each chunk with a tape and backpropagate the cached embedding gradient,
 *      accumulating the encoder's variable gradients.
 * The result equals the unchunked gradient exactly in exact arithmetic, for an encoder whose
 * rows do not interact. Batch norm in training mode breaks that: its statistics are per chunk
 * (as with data-parallel training without SyncBN), so chunked and unchunked steps differ; and
 * the encoder runs twice per step, so running statistics must be updated in one pass only —
 * `embed` gets the pass name for that (`pass === 'backward'` is the one to update them in).
 */
export interface GradCacheOptions {
  /** Maps one chunk of the views to its embeddings, [rows, dim]. Runs twice per chunk. */
  embed: (views: tf.Tensor, context: GradCacheContext) => tf.Tensor;
  /** The scalar loss over all embeddings, [2N, dim], in view order. */
  loss: (embeddings: tf.Tensor) => tf.Scalar;
  /** Variables `embed` reads: the ones whose gradients are accumulated over chunks. */
  variables: readonly tf.Variable[];
  /** Variables `loss` reads (a projection head in the objective): gradients from step 3. */
  lossVariables?: readonly tf.Variable[];
  /** Rows per chunk; the last chunk may be smaller. Peak memory scales with it. */
  chunkSize: number;
  /**
   * Runs between the untaped embedding pass and the loss, on the (detached) embeddings: the
   * place for the parametric head's inner optimisation steps. Must not dispose them.
   */
  beforeLoss?: (embeddings: tf.Tensor) => void;
}

export interface GradCacheContext {
  /** `'embed'`: the untaped pass; `'backward'`: the re-run whose gradients are used. */
  pass: 'embed' | 'backward';
  /** Index of this chunk, from 0. */
  chunk: number;
  /** First row of this chunk within the views. */
  start: number;
}

export interface GradCacheResult {
  /** The loss value. The caller owns (disposes) it. */
  loss: tf.Scalar;
  /** One entry per variable (`variables`, then `lossVariables`). The caller disposes them. */
  gradients: VariableGradient[];
}

/** One chunked contrastive forward/backward. Applies no update: pass `gradients` to an optimizer. */
export function gradCacheStep(views: tf.Tensor, options: GradCacheOptions): GradCacheResult {
  const { embed, loss, variables, lossVariables = [], chunkSize, beforeLoss } = options;
  const rows = views.shape[0];
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new ArgumentError({
      code: 'GRADCACHE_CHUNK',
      problem: `chunkSize is ${chunkSize}`,
      fix: 'pass a positive integer number of rows per chunk (e.g. 64)',
    });
  }
  if (rows === undefined || rows < 1) {
    throw new ArgumentError({
      code: 'GRADCACHE_VIEWS',
      problem: `views has shape [${views.shape.join(', ')}]`,
      fix: 'pass the views batched along axis 0 (e.g. [2N, H, W, C])',
    });
  }
  const starts: number[] = [];
  for (let s = 0; s < rows; s += chunkSize) starts.push(s);
  const chunkOf = (start: number) => {
    const size = Math.min(chunkSize, rows - start);
    return size === rows ? views : tf.slice(views, start, size);
  };

  // 1. Embeddings without a tape: each chunk's activations die with its tidy.
  const embeddings = tf.tidy(() =>
    tf.concat(
      starts.map((start, chunk) =>
        tf.tidy(() => embed(chunkOf(start), { pass: 'embed', chunk, start })),
      ),
      0,
    ),
  );
  try {
    if (embeddings.shape[0] !== rows) {
      throw new ArgumentError({
        code: 'GRADCACHE_EMBED_ROWS',
        problem: `embed returned ${embeddings.shape[0]} rows for ${rows} views`,
        fix: 'make embed map each view to one embedding row (shape [rows, dim])',
      });
    }
    // 2. Inner steps on the fixed embeddings (stop-gradient: nothing is taped here).
    beforeLoss?.(embeddings);

    // 3. Loss and its gradient w.r.t. the embeddings and the loss's own variables.
    const { value, grads } = tf.engine().gradients(
      () => loss(embeddings),
      [embeddings, ...lossVariables],
      undefined,
      true,
    );
    const [embeddingGrad, ...lossGrads] = grads;
    try {
      // 4. Re-run each chunk with a tape and inject its slice of dL/dE.
      const sums: (tf.Tensor | null)[] = variables.map(() => null);
      starts.forEach((start, chunk) => {
        const size = Math.min(chunkSize, rows - start);
        const partial = tf.tidy(() => {
          const upstream = size === rows ? embeddingGrad : tf.slice(embeddingGrad, start, size);
          return tf.engine().gradients(
            () => tf.sum(tf.mul(embed(chunkOf(start), { pass: 'backward', chunk, start }), upstream)),
            [...variables],
            undefined,
            true,
          );
        });
        partial.value.dispose();
        partial.grads.forEach((g, i) => {
          if (g == null) return;
          const prev = sums[i];
          if (prev === null) {
            sums[i] = g;
          } else {
            sums[i] = tf.add(prev, g);
            prev.dispose();
            g.dispose();
          }
        });
      });
      const gradients: VariableGradient[] = [
        ...variables.map((variable, i) => ({
          variable,
          gradient: sums[i] ?? tf.zerosLike(variable),
        })),
        ...lossVariables.map((variable, i) => ({
          variable,
          gradient: lossGrads[i] ?? tf.zerosLike(variable),
        })),
      ];
      return { loss: value as tf.Scalar, gradients };
    } finally {
      embeddingGrad.dispose();
    }
  } finally {
    embeddings.dispose();
  }
}
