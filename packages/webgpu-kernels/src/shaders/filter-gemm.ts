import type * as tf from '@tensorflow/tfjs-core';
import { divUp, type GemmProgram, KEEP_UNIFORMS, LANES, range } from '../program';

type ConvInfo = tf.backend_util.Conv2DInfo;

/** Workgroups a dispatch should reach before the batch is split (split-K) to fill the device. */
const TARGET_WORKGROUPS = 512;

/**
 * The filter gradient dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pt, ow·s+kw−pl, ci] · dy[n,oh,ow,co]
 * as a GEMM (M = KH·KW·Ci rows, N = Co columns, K = batch·Ho·Wo), x gathered in place (no im2col).
 *
 * Each workgroup owns `rows` consecutive rows (4 or 8 input channels of one tap, so one or two vec4
 * loads of x serve them all, the same address for every thread) and LANES·4 output channels (a vec4
 * of dy per thread); each thread keeps rows × 4 accumulators in registers. Tap bounds are solved
 * before the loops, so the inner loop has no branches. With few workgroups the batch is split
 * (`splits`), each split writing its own partial sum, added up by {@link SumSplitsProgram}.
 */
export class FilterGemmProgram implements GemmProgram {
  variableNames = ['x', 'dy'];
  variableComponents: number[];
  outputComponent = 4;
  outputShape: number[];
  dispatchLayout = { x: [0], y: [1], z: [2] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [LANES, 1, 1];
  shaderKey: string;
  readonly splits: number;
  private readonly rows: number;

  constructor(private readonly info: ConvInfo) {
    const { inChannels: ci, outChannels: co, filterHeight: kh, filterWidth: kw, batchSize } = info;
    this.rows = ci % 8 === 0 ? 8 : ci % 4 === 0 ? 4 : 1;
    this.variableComponents = [this.rows === 1 ? 1 : 4, 4];
    const m = kh * kw * ci;
    const workgroups = divUp(co / 4, LANES) * (m / this.rows);
    this.splits = Math.max(1, Math.min(batchSize, Math.floor(TARGET_WORKGROUPS / workgroups)));
    this.outputShape = this.splits === 1 ? [kh, kw, ci, co] : [this.splits, m, co];
    this.dispatch = [divUp(co / 4, LANES), m / this.rows, this.splits];
    const { top, left } = info.padInfo;
    this.shaderKey = `selfsupFilterGemm_${[batchSize, info.inHeight, info.inWidth, ci, info.outHeight, info.outWidth, co, kh, kw, info.strideHeight, info.strideWidth, top, left, this.splits].join('_')}`;
  }

  getUserCode(): string {
    const { inHeight: H, inWidth: W, inChannels: Ci, outHeight: Ho, outWidth: Wo, outChannels: Co, filterWidth: KW } = this.info;
    const { strideHeight: sh, strideWidth: sw, batchSize } = this.info;
    const { top: pt, left: pl } = this.info.padInfo;
    const R = this.rows;
    const perSplit = divUp(batchSize, this.splits);
    const co4 = Co / 4;
    const xVec = R === 1 ? 1 : 4;
    const acc = range(R).map((r) => `var acc${r} = vec4<f32>(0.0);`).join('\n');
    const xLoads = range(R / xVec)
      .map((v) => `let x${v} = x[xBase + ${v}];`)
      .join(' ');
    const fmas = range(R)
      .map((r) => (xVec === 1 ? `acc${r} += x0 * g;` : `acc${r} += x${Math.floor(r / 4)}.${'xyzw'[r % 4]} * g;`))
      .join(' ');
    const stores = range(R)
      .map((r) => `result[(outRow + ${r}) * ${co4} + lane] = acc${r};`)
      .join('\n');
    return `
      // First output index, in steps of s, whose input index i·s + k − p lies in [0, size).
      fn firstIn(k: i32, p: i32, s: i32) -> i32 { return max(0, (p - k + s - 1) / s); }
      fn endIn(k: i32, p: i32, s: i32, size: i32, outSize: i32) -> i32 { return min(outSize, (size - 1 + p - k) / s + 1); }
      fn main() {
        ${KEEP_UNIFORMS}
        let co4 = i32(workgroupId.x) * ${LANES} + i32(localId.x);
        let lane = min(co4, ${co4 - 1});
        let row0 = i32(workgroupId.y) * ${R};
        let split = i32(workgroupId.z);
        let tap = row0 / ${Ci};
        let ci0 = row0 % ${Ci};
        let kh = tap / ${KW};
        let kw = tap % ${KW};
        ${acc}
        let ohStart = firstIn(kh, ${pt}, ${sh});
        let ohEnd = endIn(kh, ${pt}, ${sh}, ${H}, ${Ho});
        let owStart = firstIn(kw, ${pl}, ${sw});
        let owEnd = endIn(kw, ${pl}, ${sw}, ${W}, ${Wo});
        let nEnd = min(${batchSize}, (split + 1) * ${perSplit});
        for (var n = split * ${perSplit}; n < nEnd; n++) {
          for (var oh = ohStart; oh < ohEnd; oh++) {
            let ih = oh * ${sh} - ${pt} + kh;
            let dyRow = ((n * ${Ho} + oh) * ${Wo}) * ${co4} + lane;
            let xRow = (n * ${H} + ih) * ${W};
            for (var ow = owStart; ow < owEnd; ow++) {
              let iw = ow * ${sw} - ${pl} + kw;
              let xBase = ((xRow + iw) * ${Ci} + ci0) / ${xVec};
              let g = dy[dyRow + ow * ${co4}];
              ${xLoads}
              ${fmas}
            }
          }
        }
        if (co4 < ${co4}) {
          let outRow = split * ${this.info.filterHeight * KW * Ci} + row0;
          ${stores}
        }
      }`;
  }
}
