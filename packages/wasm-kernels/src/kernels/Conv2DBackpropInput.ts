import * as tf from '@tensorflow/tfjs-core';
import { convExplicit, forwardConvInfo, fromNHWC, toNHWC } from '../conv-util';
import { heapView, interleavePhases } from '../heap';

/**
 * Conv2DBackpropInput (the input gradient of conv2d; also conv2dTranspose). The stock wasm
 * kernel is a scalar loop, 10-20x slower than its own forward conv. Here the gradient runs on
 * the wasm backend's XNNPACK Conv2D: for stride s, the rows (and columns) of dx split into s
 * phases i = s·q + r, and each phase is a stride-1 correlation of dy with the taps of the filter
 * that reach it (k ≡ r + pad mod s), rotated by 180° and with in/out channels swapped. The
 * s² phase outputs interleave into dx (in JS over the heap: wasm's 6-D Transpose is slow). No
 * zero-dilated dy, so no wasted multiply-adds.
 */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) => {
    const { dy, filter } = inputs as unknown as { dy: tf.Tensor4D; filter: tf.Tensor4D };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
      attrs as unknown as tf.Conv2DBackpropInputAttrs;
    return conv2DBackpropInput(dy, filter, inputShape, strides, pad, dataFormat, dimRoundingMode);
  },
};

/** One spatial axis of one phase: which filter taps, in which order, and the front padding. */
interface AxisPlan {
  /** Filter indices along this axis, in the order the correlation reads them. */
  taps: number[];
  /** Padding in front of dy (negative: that many leading output rows are dropped). */
  front: number;
}

function axisPlan(residue: number, stride: number, padBefore: number, kernel: number): AxisPlan {
  // dx[s·q + r] = Σ_j dy[q + d − j] · W[s·j + c], with r + pad = s·d + c.
  const c = (residue + padBefore) % stride;
  const d = Math.floor((residue + padBefore) / stride);
  const count = c < kernel ? Math.ceil((kernel - c) / stride) : 0;
  const taps = Array.from({ length: count }, (_, m) => stride * (count - 1 - m) + c);
  return { taps, front: count - 1 - d };
}

/**
 * The filter taps one phase reads, rotated for the correlation: out[i, j] = filter[tapsH[i],
 * tapsW[j]] with its in/out channel axes swapped, [tapsH, tapsW, cOut, cIn]. Built in JS over
 * the wasm heap (the wasm Transpose, GatherV2 and Reverse kernels are 10x slower).
 */
function rotatedTaps(filter: tf.Tensor4D, tapsH: number[], tapsW: number[]): tf.Tensor4D {
  const [, kW, cIn, cOut] = filter.shape;
  const src = heapView(filter);
  const out = new Float32Array(tapsH.length * tapsW.length * cIn * cOut);
  let offset = 0;
  for (const th of tapsH) {
    for (const tw of tapsW) {
      const start = (th * kW + tw) * cIn * cOut;
      for (let o = 0; o < cOut; o++) {
        let from = start + o;
        for (let i = 0; i < cIn; i++, from += cOut) out[offset++] = src[from];
      }
    }
  }
  return tf.tensor4d(out, [tapsH.length, tapsW.length, cOut, cIn]);
}

/**
 * Rotated taps are cached per filter buffer: a training step runs the same filter's input
 * gradient once per GradCache chunk, and a tensor that stays the same is also one that XNNPACK
 * packs once (its operator cache is keyed on the filter) — for 3×3×512×512 filters that saves
 * 40 ms per call. Tensor data never changes in place (a variable's assign swaps its buffer), so
 * an entry is valid exactly while its source buffer is alive; dead ones are dropped on each call.
 * The cache holds one rotated copy of each conv filter in use (45 MB for ResNet-18).
 */
const rotatedCache = new Map<tf.DataId, { key: string; taps: tf.Tensor4D }[]>();

function cachedRotatedTaps(filter: tf.Tensor4D, tapsH: number[], tapsW: number[]): tf.Tensor4D {
  const backend = tf.backend();
  for (const [dataId, entries] of rotatedCache) {
    if (backend.refCount(dataId) > 0 && entries.every((e) => !e.taps.isDisposed)) continue;
    entries.forEach((e) => e.taps.dispose());
    rotatedCache.delete(dataId);
  }
  const key = `${tapsH}|${tapsW}`;
  const entries = rotatedCache.get(filter.dataId) ?? [];
  const hit = entries.find((e) => e.key === key);
  if (hit !== undefined) return hit.taps;
  const taps = tf.keep(rotatedTaps(filter, tapsH, tapsW));
  entries.push({ key, taps });
  rotatedCache.set(filter.dataId, entries);
  return taps;
}

/** Drops every cached rotated filter (they are also dropped when their source is disposed). */
export function clearRotatedFilterCache(): void {
  rotatedCache.forEach((entries) => entries.forEach((e) => e.taps.dispose()));
  rotatedCache.clear();
}

export function conv2DBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  strides: number | [number, number],
  pad: tf.Conv2DBackpropInputAttrs['pad'],
  dataFormat: 'NHWC' | 'NCHW',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = forwardConvInfo(inputShape, filter.shape, strides, pad, dataFormat, dimRoundingMode);
  const { strideHeight: sH, strideWidth: sW, filterHeight: kH, filterWidth: kW } = info;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: cIn, outHeight: oH, outWidth: oW } = info;
  const { top, left } = info.padInfo;
  const qH = Math.ceil(h / sH);
  const qW = Math.ceil(w / sW);
  return tf.tidy(() => {
    const g = toNHWC(dy, dataFormat);
    const phases: (tf.Tensor4D | null)[] = [];
    for (let rH = 0; rH < sH; rH++) {
      for (let rW = 0; rW < sW; rW++) {
        const ph = axisPlan(rH, sH, top, kH);
        const pw = axisPlan(rW, sW, left, kW);
        if (ph.taps.length === 0 || pw.taps.length === 0) {
          phases.push(null); // no tap reaches these rows/columns: their gradient is zero
          continue;
        }
        const sub = cachedRotatedTaps(filter, ph.taps, pw.taps);
        const padTop = Math.max(0, ph.front);
        const padLeft = Math.max(0, pw.front);
        const padBottom = Math.max(0, qH + ph.taps.length - 1 - ph.front - oH);
        const padRight = Math.max(0, qW + pw.taps.length - 1 - pw.front - oW);
        const out = convExplicit(g, sub, padTop, padBottom, padLeft, padRight);
        const beginH = padTop - ph.front;
        const beginW = padLeft - pw.front;
        const exact = beginH === 0 && beginW === 0 && out.shape[1] === qH && out.shape[2] === qW;
        phases.push(exact ? out : tf.slice(out, [0, beginH, beginW, 0], [n, qH, qW, cIn]));
      }
    }
    const single = phases.length === 1 && phases[0] !== null && qH === h && qW === w;
    const dx = single ? (phases[0] as tf.Tensor4D) : interleavePhases(phases, sH, sW, [n, h, w, cIn]);
    return fromNHWC(dx, dataFormat);
  });
}
