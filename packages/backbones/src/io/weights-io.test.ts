import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWeights, resnet, saveWeights, smallConvnet, type Backbone } from '../index';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-backbones-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = (seed: number) =>
  resnet({ block: 'bottleneck', layers: [1, 1, 1, 1], stem: 'imagenet', width: 0.0625, rng: createRng(seed) });

async function bits(model: Backbone): Promise<Map<string, Uint32Array>> {
  const out = new Map<string, Uint32Array>();
  for (const [name, v] of model.namedVariables()) out.set(name, new Uint32Array((await v.data()).slice().buffer));
  return out;
}

describe('saveWeights / loadWeights', () => {
  it('round-trips a file:// directory bit-exactly, running statistics included, atomically', async () => {
    const a = tiny(1);
    const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    a.apply(x, { training: true }).dispose(); // running stats away from 0/1
    const target = join(dir, 'tiny');
    await saveWeights(a, `file://${target}`);
    expect(readdirSync(target).sort()).toEqual(['model.json', 'weights.bin']); // no temp files left
    const json = JSON.parse(readFileSync(join(target, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain('layer1.0.bn3.running_var');

    const b = tiny(2);
    // Different seed and untouched running stats: every tensor kind differs before the load.
    const [aBefore, bBefore] = [await bits(a), await bits(b)];
    for (const name of ['conv1.weight', 'layer4.0.bn3.running_mean', 'layer4.0.bn3.running_var']) {
      expect(bBefore.get(name)).not.toEqual(aBefore.get(name));
    }
    await loadWeights(b, `file://${target}`);
    const [wa, wb] = [await bits(a), await bits(b)];
    for (const [name, v] of wa) expect(wb.get(name), name).toEqual(v);
    const [ya, yb] = [a.apply(x), b.apply(x)];
    expect(await yb.data()).toEqual(await ya.data());
    const [ta, tb] = [a.apply(x, { training: true }), b.apply(x, { training: true })];
    expect(await tb.data()).toEqual(await ta.data());
    tf.dispose([x, ya, yb, ta, tb]);
    a.dispose();
    b.dispose();
  });

  it('works with any tfjs IOHandler (as in browsers) and leaks no tensors', async () => {
    let stored: tf.io.ModelArtifacts | undefined;
    const memory: tf.io.IOHandler = {
      save: async (artifacts) => {
        stored = artifacts;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      },
      load: async () => stored!,
    };
    const a = smallConvnet({ widths: [4, 8], rng: createRng(3) });
    const b = smallConvnet({ widths: [4, 8], rng: createRng(4) });
    await saveWeights(a, memory);
    await expectNoTensorLeak(() => loadWeights(b, memory));
    const [wa, wb] = [await bits(a), await bits(b)];
    for (const [name, v] of wa) expect(wb.get(name), name).toEqual(v);
    a.dispose();
    b.dispose();
  });

  it('refuses weights of another architecture, naming the tensor, and leaves the model unchanged', async () => {
    const target = join(dir, 'small');
    const a = smallConvnet({ widths: [4, 8] });
    await saveWeights(a, `file://${target}`);
    const wider = smallConvnet({ widths: [4, 16] });
    const before = await bits(wider);
    await expect(loadWeights(wider, `file://${target}`)).rejects.toThrow(/stage2\.conv\.weight as float32\[3, 3, 4, 8\].*\[3, 3, 4, 16\]/);
    const after = await bits(wider);
    for (const [name, v] of before) expect(after.get(name)).toEqual(v);
    const deeper = smallConvnet({ widths: [4, 8, 8] });
    await expect(loadWeights(deeper, `file://${target}`)).rejects.toThrow(/missing stage3\.conv\.weight/);
    await expect(loadWeights(a, `file://${join(dir, 'nowhere')}`)).rejects.toThrow(/saveWeights\(\) wrote/);
    await expect(saveWeights(a, 'nosuchscheme://x')).rejects.toThrow(/file:\/\/ directory in Node/);
    [a, wider, deeper].forEach((m) => m.dispose());
  });
});
