import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';

export const FIXTURES = join(__dirname, 'fixtures');

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

export { maxAbsDiff } from '@selfsup/core/testing';

export interface TorchFixture {
  block: 'BasicBlock' | 'Bottleneck';
  layers: [number, number, number, number];
  width: number;
  stem: 'cifar' | 'imagenet';
  input: { shape: [number, number, number, number]; nhwc: number[] };
  eval: { features: number[]; featureDim: number; taps: Record<string, { shape: number[]; values: number[] }> };
  train: { features: number[]; runningAfterOneStep: Record<string, number[]> };
}

/**
 * A Python with torch and torchvision (Debian's python3-torch/python3-torchvision, which
 * `.ci/run` installs), or undefined: `$SELFSUP_TORCH_PYTHON`, then /usr/bin/python3, then python3.
 */
export function torchPython(): string | undefined {
  const candidates = [process.env.SELFSUP_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => Boolean(c));
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0);
}
