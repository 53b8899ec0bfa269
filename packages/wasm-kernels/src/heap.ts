import * as tf from '@tensorflow/tfjs-core';
import { wasmInternals as heapBackend } from './heap-matmul';

/**
 * Data movement written in JS over the wasm heap, for the layouts where wasm's Transpose (a
 * single-threaded generic loop) is slow: 6-D permutations cost it 200 ms for a 64×32×32×64
 * activation, and moving the innermost axis outermost 35 ms. Every function falls back to
 * tf.transpose on backends without a heap.
 */

/** The tensor's values: a view of the wasm heap (no copy), or a copy elsewhere. */
export function heapView(t: tf.Tensor): Float32Array {
  const backend = heapBackend();
  return backend ? backend.typedArrayFromHeap(t) : (t.dataSync() as Float32Array);
}

/** [N, H, W, C] → [C, H, W, N] (float32). */
export function channelsToBatch(x: tf.Tensor4D): tf.Tensor4D {
  const backend = heapBackend();
  if (backend === null || x.dtype !== 'float32') return tf.transpose(x, [3, 1, 2, 0]);
  const [n, h, w, c] = x.shape;
  const hw = h * w;
  const info = backend.makeOutput([c, h, w, n], 'float32');
  // Views after the allocation: growing the heap detaches older ones.
  const src = backend.typedArrayFromHeap(x);
  const out = backend.typedArrayFromHeap(info);
  const step = hw * n;
  for (let p = 0; p < hw; p++) {
    for (let b = 0; b < n; b++) {
      const i = (b * hw + p) * c;
      let o = p * n + b;
      for (let ch = 0; ch < c; ch++, o += step) out[o] = src[i + ch];
    }
  }
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
}

/**
 * Interleaves stride phases into one image: out[b, s·q + rH, s·p + rW, :] = phases[rH·sW + rW][b, q, p, :],
 * cropped to [n, h, w, c]. A null phase is zeros.
 */
export function interleavePhases(
  phases: (tf.Tensor4D | null)[],
  strideH: number,
  strideW: number,
  outShape: [number, number, number, number],
): tf.Tensor4D {
  const [n, h, w, c] = outShape;
  const backend = heapBackend();
  if (backend === null) {
    const first = phases.find((p) => p !== null) as tf.Tensor4D;
    const [, qH, qW] = first.shape;
    const full = phases.map((p) => p ?? tf.zeros([n, qH, qW, c]));
    const stacked = tf.reshape(tf.stack(full), [strideH, strideW, n, qH, qW, c]);
    const merged = tf.reshape(tf.transpose(stacked, [2, 3, 0, 4, 1, 5]), [n, qH * strideH, qW * strideW, c]);
    return tf.slice(merged, [0, 0, 0, 0], outShape) as tf.Tensor4D;
  }
  const info = backend.makeOutput(outShape, 'float32');
  const out = backend.typedArrayFromHeap(info);
  out.fill(0);
  phases.forEach((phase, index) => {
    if (phase === null) return;
    const rH = Math.floor(index / strideW);
    const rW = index % strideW;
    const [, qH, qW] = phase.shape;
    const src = backend.typedArrayFromHeap(phase);
    for (let b = 0; b < n; b++) {
      for (let q = 0; q < qH; q++) {
        const row = strideH * q + rH;
        if (row >= h) break;
        for (let p = 0; p < qW; p++) {
          const col = strideW * p + rW;
          if (col >= w) break;
          const from = ((b * qH + q) * qW + p) * c;
          out.set(src.subarray(from, from + c), ((b * h + row) * w + col) * c);
        }
      }
    }
  });
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
}
