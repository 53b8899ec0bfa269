import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../errors';
import { useBackend } from './use-backend';

// These tests describe a CPU-only machine where tfjs-node(-gpu) cannot be installed (this
// project's CI); on a machine with a GPU, auto would rightly pick something faster.
describe('useBackend', () => {
  it("'auto' takes wasm here and says why each faster backend was skipped", async () => {
    const selection = await useBackend('auto');
    expect(selection.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(selection.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu']);
    expect(selection.skipped[0].reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    expect(selection.skipped[1].reason).toMatch(/@tensorflow\/tfjs-node is not installed/);
    expect(selection.skipped[2].reason).toMatch(/adapter/);
    // Without a GPU device node, Dawn is not even started (it would print driver errors).
    const gpuDevice = existsSync('/dev/dri') || readdirSync('/dev').some((n) => /^nvidia\d+$/.test(n));
    if (process.platform === 'linux' && !gpuDevice) expect(selection.skipped[2].reason).toMatch(/no GPU device on this machine \(no \/dev\/dri render node or \/dev\/nvidia\*\)/);
    expect(selection.reason).toMatch(/^auto: .*skipped tensorflow-gpu: .*; tensorflow: .*; webgpu: /);
    expect(tf.tidy(() => tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0])).toBe(5);
  });

  it('switches to a named backend that is installed', async () => {
    const selection = await useBackend('cpu');
    expect(selection).toMatchObject({ name: 'cpu', tfBackend: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('names the package to install for a missing backend', async () => {
    const failure = useBackend('tensorflow');
    await expect(failure).rejects.toBeInstanceOf(BackendError);
    await expect(useBackend('tensorflow')).rejects.toThrow(/npm install @tensorflow\/tfjs-node$/);
    await expect(useBackend('tensorflow-gpu')).rejects.toMatchObject({
      code: 'BACKEND_NOT_INSTALLED',
      message: expect.stringContaining('@tensorflow/tfjs-node-gpu'),
    });
  });

  it('rejects an unknown name with the list of valid ones', async () => {
    // @ts-expect-error: a typo a JavaScript user could make
    await expect(useBackend('gpu')).rejects.toThrow(/unknown backend 'gpu': use one of auto, tensorflow-gpu/);
  });
});
