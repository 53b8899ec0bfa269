import type * as tf from '@tensorflow/tfjs-core';
import { divUp, type GemmProgram, KEEP_UNIFORMS, LANES, range } from '../program';

type ConvInfo = tf.backend_util.Conv2DInfo;

/** WebGPU allows at most 65,535 workgroups along each dispatch dimension. */
const MAX_PER_DIMENSION = 65_535;

/**
 * A convolution as an implicit GEMM whose rows are output pixels and columns output channels,
 * in two modes:
 *
 * - `forward`: y[n,p,q,d] = Σ_{kh,kw,c} x[n, p·s+kh−pt, q·s+kw−pl, c] · w[kh,kw,c,d]
 * - `input-gradient`: dx[n,p,q,d] = Σ_{kh,kw,c} dy[n, (p+pt−kh)/s, (q+pl−kw)/s, c] · wᵀ[kh,kw,c,d]
 *   over the taps where the division is exact (wᵀ: the filter with its two channel axes swapped).
 *
 * Each workgroup owns `rows` pixels of one image row and LANES·4 output channels. A pixel's source
 * values (a vec4 of input channels) are the same for every thread, so they load once per
 * workgroup; each thread loads a 4×vec4 filter block and keeps rows × 4 accumulators in registers.
 * For the input gradient at stride s the rows step by s (one phase of the output columns), so all
 * rows of a workgroup share which taps contribute: no thread multiplies by a skipped zero.
 */
export class ConvGemmProgram implements GemmProgram {
  variableNames = ['src', 'weights'];
  variableComponents = [4, 4];
  outputComponent = 4;
  outputShape: number[];
  dispatchLayout = { x: [3], y: [0, 1, 2] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [LANES, 1, 1];
  shaderKey: string;
  private readonly rows: number;
  private readonly columnBlocks: number;
  private readonly blocks: number;
  private readonly blocksPerZ: number;

  constructor(
    private readonly info: ConvInfo,
    private readonly mode: 'forward' | 'input-gradient',
  ) {
    const { batchSize: b, inHeight, inWidth, outHeight, outWidth, strideWidth } = info;
    const forward = mode === 'forward';
    const [outH, outW, d] = forward ? [outHeight, outWidth, info.outChannels] : [inHeight, inWidth, info.inChannels];
    // Columns one workgroup walks: every output column (forward), or those of one phase mod s.
    const phases = forward ? 1 : strideWidth;
    const columns = forward ? outW : divUp(outW, strideWidth);
    this.rows = Math.min(8, columns);
    this.columnBlocks = divUp(columns, this.rows);
    this.blocks = b * outH * phases * this.columnBlocks;
    const z = divUp(this.blocks, MAX_PER_DIMENSION);
    this.blocksPerZ = divUp(this.blocks, z);
    this.outputShape = [b, outH, outW, d];
    this.dispatch = [divUp(d / 4, LANES), this.blocksPerZ, z];
    const { top, left } = info.padInfo;
    this.shaderKey = `selfsupConvGemm_${mode}_${[b, info.inHeight, info.inWidth, info.inChannels, outHeight, outWidth, info.outChannels, info.filterHeight, info.filterWidth, info.strideHeight, strideWidth, top, left].join('_')}`;
  }

  getUserCode(): string {
    const info = this.info;
    const forward = this.mode === 'forward';
    const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
    const { top: pt, left: pl } = info.padInfo;
    // Source image [H, W, C] and output image [outH, outW, D] in this mode.
    const [H, W, C] = forward ? [info.inHeight, info.inWidth, info.inChannels] : [info.outHeight, info.outWidth, info.outChannels];
    const [outH, outW, D] = forward ? [info.outHeight, info.outWidth, info.outChannels] : [info.inHeight, info.inWidth, info.inChannels];
    const R = this.rows;
    const [c4, d4] = [C / 4, D / 4];
    const phases = forward ? 1 : sw;
    const colStep = forward ? 1 : sw;
    const perRow = (f: (r: number) => string) => range(R).map(f).join('\n');
    // Source row of output row p at tap kh, and whether it exists.
    const srcRow = forward
      ? `let sr = p * ${sh} - ${pt} + kh; let rowOk = sr >= 0 && sr < ${H};`
      : `let t = p + ${pt} - kh; let sr = t / ${sh}; let rowOk = t >= 0 && t % ${sh} == 0 && sr < ${H};`;
    // Source column of output column q at tap kw (forward: q·s+kw−pl; gradient: (q+pl−kw)/s).
    const srcCol = (r: number) =>
      forward
        ? `let sc${r} = q${r} * ${sw} - ${pl} + kw; let ok${r} = rowOk && q${r} < ${outW} && sc${r} >= 0 && sc${r} < ${W};`
        : `let u${r} = q${r} + ${pl} - kw; let sc${r} = u${r} / ${sw}; let ok${r} = rowOk && q${r} < ${outW} && u${r} >= 0 && u${r} % ${sw} == 0 && sc${r} < ${W};`;
    return `
      fn main() {
        ${KEEP_UNIFORMS}
        let d4 = i32(workgroupId.x) * ${LANES} + i32(localId.x);
        let lane = min(d4, ${d4 - 1});
        let block = i32(workgroupId.z) * ${this.blocksPerZ} + i32(workgroupId.y);
        if (block >= ${this.blocks}) { return; }
        let colBlock = block % ${this.columnBlocks};
        let phase = (block / ${this.columnBlocks}) % ${phases};
        let p = (block / ${this.columnBlocks * phases}) % ${outH};
        let n = block / ${this.columnBlocks * phases * outH};
        ${perRow((r) => `let q${r} = phase + (colBlock * ${R} + ${r}) * ${colStep};`)}
        ${perRow((r) => `var acc${r} = vec4<f32>(0.0);`)}
        for (var kh = 0; kh < ${KH}; kh++) {
          ${srcRow}
          if (!rowOk) { continue; }
          let srcRowBase = (n * ${H} + sr) * ${W};
          for (var kw = 0; kw < ${KW}; kw++) {
            ${perRow((r) => `${srcCol(r)} let base${r} = select(0, (srcRowBase + sc${r}) * ${c4}, ok${r});`)}
            let filterBase = (kh * ${KW} + kw) * ${C} * ${d4} + lane;
            for (var c = 0; c < ${c4}; c++) {
              let f = filterBase + c * ${4 * d4};
              let f0 = weights[f]; let f1 = weights[f + ${d4}]; let f2 = weights[f + ${2 * d4}]; let f3 = weights[f + ${3 * d4}];
              ${perRow((r) => `{ let v = select(vec4<f32>(0.0), src[base${r} + c], ok${r}); acc${r} += v.x * f0 + v.y * f1 + v.z * f2 + v.w * f3; }`)}
            }
          }
        }
        if (d4 < ${d4}) {
          let outBase = (n * ${outH} + p) * ${outW};
          ${perRow((r) => `if (q${r} < ${outW}) { result[(outBase + q${r}) * ${d4} + d4] = acc${r}; }`)}
        }
      }`;
  }
}
