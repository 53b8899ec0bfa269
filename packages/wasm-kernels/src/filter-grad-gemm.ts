import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, matMul, matMulAtOffset, type WasmBackendInternals } from './heap-matmul';

/**
 * The filter gradient of a stride-s NHWC conv2d as kH·kW matrix products that read shifted
 * windows of one buffer, with no im2col copy:
 *
 *   dW[kh, kw] = Σ_{n, oh, ow} x[n, s·oh + kh − top, s·ow + kw − left, :]ᵀ · dy[n, oh, ow, :]
 *
 * x is rewritten channel-major and split into stride phases, P[r][c, n, i, j] =
 * x[n, s·i + rH − top, s·j + rW − left, c] (zero outside x), on an hq × wq grid per image. Tap
 * (kh, kw) reads phase (kh mod s, kw mod s) shifted by (⌊kh/s⌋, ⌊kw/s⌋): on the flattened grid that
 * is a constant offset, so its [c, grid] matrix is the phase buffer seen from that offset. dy is
 * laid on the same grid with zeros where no output exists, which is what makes the windows that
 * run past a row (into the next row, image or channel) contribute nothing. Every byte those
 * windows read is initialised, so the zeros never meet a NaN.
 *
 * The grid is a little larger than the output (hq·wq vs oH·oW): wasted multiply-adds, few for
 * large images, many for 4×4 ones — `gridOverhead` says how many, and the kernel uses this path
 * only where it pays. Images go in blocks so that each block's dy (packed once by XNNPACK, reused
 * by all kH·kW products) stays in cache.
 */
export interface FilterGradGeometry {
  n: number;
  h: number;
  w: number;
  cIn: number;
  oH: number;
  oW: number;
  cOut: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  top: number;
  left: number;
}

/**
 * Grid cells per image along one axis. At stride 1 the grid can stop at the end of x when the
 * far padding is no wider than the near one: a window running past a row then lands in the next
 * row's (or image's) near padding, zero as the far padding would be.
 */
function gridLength(out: number, kernel: number, stride: number, size: number, near: number): number {
  const full = out + Math.floor((kernel - 1) / stride);
  const far = out + kernel - 1 - size - near;
  return stride === 1 && far <= near ? near + size : full;
}

function grid(g: FilterGradGeometry) {
  const hq = gridLength(g.oH, g.kH, g.strideH, g.h, g.top);
  const wq = gridLength(g.oW, g.kW, g.strideW, g.w, g.left);
  return { hq, wq, phasesH: Math.min(g.strideH, g.kH), phasesW: Math.min(g.strideW, g.kW) };
}

/** Grid cells per output position: the multiply-adds this path spends per useful one. */
export function gridOverhead(g: FilterGradGeometry): number {
  const { hq, wq } = grid(g);
  return (hq * wq) / (g.oH * g.oW);
}

// A block's dy (the packed right operand) is sized to stay in L2, but each product must still
// be big enough that the per-call overhead does not dominate.
const BLOCK_BYTES = 1.5e6;
const MIN_FLOPS_PER_PRODUCT = 2e7;

/** dW, [kH, kW, cIn, cOut], for float32 NHWC x and dy on the wasm backend. */
export function filterGradGemm(
  backend: WasmBackendInternals,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: FilterGradGeometry,
): tf.TensorInfo {
  const { hq, wq, phasesH, phasesW } = grid(g);
  const cells = hq * wq;
  const wantCells = Math.max(BLOCK_BYTES / (4 * g.cOut), MIN_FLOPS_PER_PRODUCT / (2 * g.cIn * g.cOut));
  const perBlock = Math.max(1, Math.min(g.n, Math.round(wantCells / cells)));
  const slack = Math.floor((g.kH - 1) / g.strideH) * wq + Math.floor((g.kW - 1) / g.strideW);
  const taps = g.kH * g.kW;
  const acc = new Float32Array(taps * g.cIn * g.cOut);

  for (let first = 0; first < g.n; first += perBlock) {
    const images = Math.min(perBlock, g.n - first);
    const cols = images * cells;
    const phaseSize = g.cIn * cols;
    const phases = backend.makeOutput([phasesH * phasesW * phaseSize + slack], 'float32');
    const dyGrid = backend.makeOutput([cols, g.cOut], 'float32');
    try {
      // Views only after every allocation: growing the heap detaches older ones.
      writePhases(backend.typedArrayFromHeap(phases), backend.typedArrayFromHeap(x), g, first, images, hq, wq);
      writeDyGrid(backend.typedArrayFromHeap(dyGrid), backend.typedArrayFromHeap(dy), g, first, images, cells, wq);
      const base = heapOffset(backend, phases);
      for (let kh = 0; kh < g.kH; kh++) {
        for (let kw = 0; kw < g.kW; kw++) {
          const phase = (kh % g.strideH) * phasesW + (kw % g.strideW);
          const shift = Math.floor(kh / g.strideH) * wq + Math.floor(kw / g.strideW);
          const part = matMulAtOffset(backend, base + 4 * (phase * phaseSize + shift), g.cIn, cols, dyGrid);
          const values = backend.typedArrayFromHeap(part);
          const at = (kh * g.kW + kw) * g.cIn * g.cOut;
          for (let i = 0; i < values.length; i++) acc[at + i] += values[i];
          backend.disposeData(part.dataId);
        }
      }
    } finally {
      backend.disposeData(phases.dataId);
      backend.disposeData(dyGrid.dataId);
    }
  }
  const out = backend.makeOutput([g.kH, g.kW, g.cIn, g.cOut], 'float32');
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

/** P[rH, rW, c, image, i, j] = x[first + image, s·i + rH − top, s·j + rW − left, c], zero outside. */
function writePhases(
  out: Float32Array,
  x: Float32Array,
  g: FilterGradGeometry,
  first: number,
  images: number,
  hq: number,
  wq: number,
): void {
  out.fill(0);
  const cells = hq * wq;
  const cols = images * cells;
  const phasesW = Math.min(g.strideW, g.kW);
  const phasesH = Math.min(g.strideH, g.kH);
  for (let rH = 0; rH < phasesH; rH++) {
    for (let rW = 0; rW < phasesW; rW++) {
      const phaseBase = (rH * phasesW + rW) * g.cIn * cols;
      for (let image = 0; image < images; image++) {
        for (let i = 0; i < hq; i++) {
          const y = g.strideH * i + rH - g.top;
          if (y < 0 || y >= g.h) continue;
          for (let j = 0; j < wq; j++) {
            const xc = g.strideW * j + rW - g.left;
            if (xc < 0 || xc >= g.w) continue;
            let src = (((first + image) * g.h + y) * g.w + xc) * g.cIn;
            let dst = phaseBase + image * cells + i * wq + j;
            for (let c = 0; c < g.cIn; c++, dst += cols) out[dst] = x[src++];
          }
        }
      }
    }
  }
}

/** dy[first + image, oh, ow, :] at grid cell (image, oh, ow); zero on the cells past the output. */
function writeDyGrid(
  out: Float32Array,
  dy: Float32Array,
  g: FilterGradGeometry,
  first: number,
  images: number,
  cells: number,
  wq: number,
): void {
  out.fill(0);
  const row = g.oW * g.cOut;
  for (let image = 0; image < images; image++) {
    for (let oh = 0; oh < g.oH; oh++) {
      const src = ((first + image) * g.oH + oh) * row;
      out.set(dy.subarray(src, src + row), (image * cells + oh * wq) * g.cOut);
    }
  }
}

/**
 * dW for small images, where the shifted-window grid wastes too much: the same phase buffer,
 * gathered into exact patches (im2col, [kH·kW·cIn, n·oH·oW]) and multiplied by dy seen as
 * [n·oH·oW, cOut] in one XNNPACK product. The gather copies kH·kW times x's size (over stride²),
 * cheap next to the product when oH·oW is small.
 */
export function filterGradIm2col(
  backend: WasmBackendInternals,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: FilterGradGeometry,
): tf.TensorInfo {
  const { hq, wq, phasesH, phasesW } = grid(g);
  const cells = hq * wq;
  const phaseSize = g.cIn * g.n * cells;
  const outputs = g.n * g.oH * g.oW;
  // Windows may run past the last image (into zeros, as in filterGradGemm).
  const slack = Math.floor((g.kH - 1) / g.strideH) * wq + Math.floor((g.kW - 1) / g.strideW);
  const phases = backend.makeOutput([phasesH * phasesW * phaseSize + slack], 'float32');
  const patches = backend.makeOutput([g.kH * g.kW * g.cIn, outputs], 'float32');
  try {
    const p = backend.typedArrayFromHeap(phases);
    writePhases(p, backend.typedArrayFromHeap(x), g, 0, g.n, hq, wq);
    const out = backend.typedArrayFromHeap(patches);
    let o = 0;
    for (let kh = 0; kh < g.kH; kh++) {
      for (let kw = 0; kw < g.kW; kw++) {
        const phase = (kh % g.strideH) * phasesW + (kw % g.strideW);
        const shift = Math.floor(kh / g.strideH) * wq + Math.floor(kw / g.strideW);
        for (let c = 0; c < g.cIn; c++) {
          const channel = phase * phaseSize + c * g.n * cells + shift;
          for (let image = 0; image < g.n; image++) {
            for (let i = 0; i < g.oH; i++) {
              const from = channel + image * cells + i * wq;
              for (let j = 0; j < g.oW; j++) out[o++] = p[from + j];
            }
          }
        }
      }
    }
    const dy2d = { dataId: dy.dataId, shape: [outputs, g.cOut], dtype: dy.dtype };
    const product = matMul(backend, patches, dy2d);
    return { ...product, shape: [g.kH, g.kW, g.cIn, g.cOut] };
  } finally {
    backend.disposeData(phases.dataId);
    backend.disposeData(patches.dataId);
  }
}
