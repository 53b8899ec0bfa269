import type { Rng } from '@selfsup/core';

/**
 * torch.nn.Linear's default initialisation: kaiming_uniform(a = √5) on the weight, which is
 * U(−1/√fan_in, 1/√fan_in), and the same range for the bias — so a PyTorch user gets the same
 * distributions. The kernel is laid out [fan_in, fan_out] (tfjs matMul(h, W)).
 */
export function torchLinearInit(rng: Rng, fanIn: number, fanOut: number): { kernel: Float32Array; bias: Float32Array } {
  const bound = 1 / Math.sqrt(fanIn);
  const kernel = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < kernel.length; i++) kernel[i] = rng.uniform(-bound, bound);
  const bias = new Float32Array(fanOut);
  for (let i = 0; i < fanOut; i++) bias[i] = rng.uniform(-bound, bound);
  return { kernel, bias };
}
