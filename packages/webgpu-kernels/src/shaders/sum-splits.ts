import type { GemmProgram } from '../program';

/** Adds up split-K partial sums: [splits, ...rest] → rest, one vec4 per thread. */
export class SumSplitsProgram implements GemmProgram {
  variableNames = ['partials'];
  variableComponents = [4];
  outputComponent = 4;
  outputShape: number[];
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  shaderKey: string;
  size = true;

  constructor(
    private readonly splits: number,
    outputShape: number[],
  ) {
    this.outputShape = outputShape;
    const vec4s = outputShape.reduce((a, b) => a * b, 1) / 4;
    this.dispatch = [Math.ceil(vec4s / 64), 1, 1];
    this.shaderKey = `selfsupSumSplits_${splits}_${vec4s}`;
  }

  getUserCode(): string {
    const vec4s = this.outputShape.reduce((a, b) => a * b, 1) / 4;
    return `
      fn main(index: i32) {
        if (index >= uniforms.size) { return; }
        var total = partials[index];
        for (var s = 1; s < ${this.splits}; s++) { total += partials[s * ${vec4s} + index]; }
        result[index] = total;
      }`;
  }
}
