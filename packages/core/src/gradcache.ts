import * as tf from '@tensorflow/tfjs-core';
import type { VariableGradient } from './contracts';
import { ArgumentError } from './errors';
import { gradientsFreeingEarly } from './tape';

/**
 * GradCache (Gao et al. 2021): a contrastive step over a batch too big to backpropagate at once.
 * The loss couples every row, but its gradient with respect to the encoder's variables is
 * Σ_chunks ∂⟨embed(chunk), dL/dE[chunk]⟩/∂θ, so only one chunk's activations need be alive:
 *   1. embed all views chunk by chunk without recording a tape (activations freed at once);
 *   2. `beforeLoss` (e.g. the parametric head's inner steps) on those embeddings, untaped;
 *   3. the loss on all embeddings, with its gradient w.r.t. the embeddings and `lossVariables`;
 *   4. re-embed each chunk with a tape and backpropagate the cached embedding gradient,
 *      accumulating the encoder's variable gradients.
 * Without `beforeLoss`, the first chunk skips step 1: it is embedded inside step 3's tape and
 * backpropagated from there, so k chunks cost k − 1 extra chunk forwards, not k (and one
 * chunk costs none: the plain step).
 * The result equals the unchunked gradient exactly in exact arithmetic, for an encoder whose
 * rows do not interact. Batch norm in training mode breaks that: its statistics are per chunk
 * (as with data-parallel training without SyncBN), so chunked and unchunked steps differ; and
 * the encoder runs twice per step, so running statistics must be updated in one pass only —
 * `embed` gets the pass name for that (`pass === 'backward'` is the one to update them in).
 */
export interface GradCacheOptions {
  /**
   * Maps one chunk of the views to its embeddings, [rows, dim]. Runs once per chunk with a tape
   * (`pass: 'backward'`), and before that once untaped (`'embed'`) for every cached chunk.
   */
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
  const chunks: { chunk: number; start: number; size: number }[] = [];
  for (let start = 0; start < rows; start += chunkSize) {
    chunks.push({ chunk: chunks.length, start, size: Math.min(chunkSize, rows - start) });
  }
  const chunkOf = (start: number, size: number) => (size === rows ? views : tf.slice(views, start, size));
  // Without inner steps, chunk 0 is embedded inside the loss's own tape and backpropagated
  // from it, so only the other chunks run twice. Inner steps need every embedding before the
  // loss, so with `beforeLoss` all chunks are cached.
  const [first, ...rest] = chunks;
  const taped = beforeLoss === undefined ? first : null;
  const cached = taped === null ? chunks : rest;
  const cachedStart = cached[0]?.start ?? rows;
  const rowsError = (got: number) =>
    new ArgumentError({
      code: 'GRADCACHE_EMBED_ROWS',
      problem: `embed returned ${got} rows for ${rows} views`,
      fix: 'make embed map each view to one embedding row (shape [rows, dim])',
    });

  // 1. Embeddings without a tape: each chunk's activations die with its tidy.
  const embeddings =
    cached.length === 0
      ? null
      : tf.tidy(() =>
          tf.concat(
            cached.map(({ chunk, start, size }) =>
              tf.tidy(() => embed(chunkOf(start, size), { pass: 'embed', chunk, start })),
            ),
            0,
          ),
        );
  try {
    if (embeddings !== null && embeddings.shape[0] !== rows - cachedStart) {
      throw rowsError(embeddings.shape[0] + cachedStart);
    }
    // 2. Inner steps on the fixed embeddings (stop-gradient: nothing is taped here).
    if (beforeLoss !== undefined && embeddings !== null) beforeLoss(embeddings);

    // 3. Loss and its gradient w.r.t. the cached embeddings, the loss's own variables and,
    //    through the taped chunk, the encoder's variables.
    const encoderXs = taped === null ? [] : [...variables];
    const cachedXs = embeddings === null ? [] : [embeddings];
    const { value, grads } = gradientsFreeingEarly(
      () => {
        if (taped === null) return loss(embeddings as tf.Tensor);
        const own = embed(chunkOf(taped.start, taped.size), { pass: 'backward', chunk: 0, start: 0 });
        const all = embeddings === null ? own : tf.concat([own, embeddings], 0);
        if (all.shape[0] !== rows) throw rowsError(all.shape[0]);
        return loss(all);
      },
      [...encoderXs, ...cachedXs, ...lossVariables],
      true,
    );
    const encoderGrads = grads.slice(0, encoderXs.length);
    const embeddingGrad = cachedXs.length === 1 ? grads[encoderXs.length] : null;
    const lossGrads = grads.slice(encoderXs.length + cachedXs.length);
    try {
      // 4. Re-run each cached chunk with a tape and inject its slice of dL/dE.
      const sums: (tf.Tensor | null)[] = variables.map((_, i) => encoderGrads[i] ?? null);
      for (const { chunk, start, size } of cached) {
        const partial = tf.tidy(() => {
          const grad = embeddingGrad as tf.Tensor;
          const upstream = size === grad.shape[0] ? grad : tf.slice(grad, start - cachedStart, size);
          return gradientsFreeingEarly(
            () => tf.sum(tf.mul(embed(chunkOf(start, size), { pass: 'backward', chunk, start }), upstream)),
            [...variables],
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
      }
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
      embeddingGrad?.dispose();
    }
  } finally {
    embeddings?.dispose();
  }
}
