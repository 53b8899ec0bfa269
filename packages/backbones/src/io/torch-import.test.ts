import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importTorchWeights, importTorchWeightsSync, readSafetensors, resnet } from '../index';
import { safetensorsToFloat32 as toFloat32 } from '@selfsup/core';
import { FIXTURES } from '../../test/helpers';

const FILE = join(FIXTURES, 'resnet18-w0.125-cifar.safetensors');
const narrow18 = (stem: 'cifar' | 'imagenet' = 'cifar', width = 0.125) =>
  resnet({ block: 'basic', layers: [2, 2, 2, 2], stem, width });

/** A safetensors file built in JS, the way the Python fixture script writes one. */
function safetensors(entries: Record<string, { dtype: string; shape: number[]; bytes: Uint8Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, e] of Object.entries(entries)) {
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let at = 8 + text.length;
  for (const e of Object.values(entries)) {
    out.set(e.bytes, at);
    at += e.bytes.length;
  }
  return out;
}

describe('readSafetensors', () => {
  it('reads the torch-written fixture: names, dtypes, shapes, values', () => {
    const tensors = readSafetensors(readFileSync(FILE));
    const conv = tensors.get('layer2.0.downsample.0.weight')!;
    expect(conv.dtype).toBe('F32');
    expect(conv.shape).toEqual([16, 8, 1, 1]);
    expect(tensors.get('bn1.num_batches_tracked')!.dtype).toBe('I64');
    // num_batches_tracked was set to 7 by the script: an int64 little-endian 7.
    expect([...tensors.get('bn1.num_batches_tracked')!.bytes]).toEqual([7, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('converts F16, BF16 and F64 to float32 exactly', () => {
    // 1.0, -2.0, 0.5 (and a subnormal) in half precision; 1.0, -3.0 in bfloat16.
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x0001]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer);
    const f64 = new Uint8Array(new Float64Array([0.1, -7]).buffer);
    const file = readSafetensors(
      safetensors({ a: { dtype: 'F16', shape: [4], bytes: f16 }, b: { dtype: 'BF16', shape: [2], bytes: bf16 }, c: { dtype: 'F64', shape: [2], bytes: f64 } }),
    );
    expect([...toFloat32('a', file.get('a')!)]).toEqual([1, -2, 0.5, 2 ** -24]);
    expect([...toFloat32('b', file.get('b')!)]).toEqual([1, -3]);
    expect([...toFloat32('c', file.get('c')!)]).toEqual([Math.fround(0.1), -7]);
  });

  it('rejects truncated or inconsistent files with a fix', () => {
    expect(() => readSafetensors(new Uint8Array(4))).toThrow(/shorter than its 8-byte header length/);
    const bad = safetensors({ a: { dtype: 'F32', shape: [3], bytes: new Uint8Array(8) } });
    expect(() => readSafetensors(bad)).toThrow(/data_offsets \[0, 8\] that do not fit/);
  });
});

describe('importTorchWeights', () => {
  it('assigns every variable by name, converting conv filters OIHW → HWIO', async () => {
    const model = narrow18();
    const { loaded, skipped } = await importTorchWeights(model, FILE);
    expect(loaded.length).toBe(model.namedVariables().size);
    expect(skipped.length).toBe(20); // one num_batches_tracked per BN
    const torch = readSafetensors(readFileSync(FILE)).get('layer1.1.conv2.weight')!;
    const oihw = toFloat32('w', torch); // [8, 8, 3, 3]
    const hwio = await model.namedVariables().get('layer1.1.conv2.weight')!.data(); // [3, 3, 8, 8]
    for (const [o, i, h, w] of [[0, 0, 0, 0], [5, 2, 1, 2], [7, 7, 2, 2], [3, 6, 2, 0]]) {
      expect(hwio[((h * 3 + w) * 8 + i) * 8 + o]).toBe(oihw[((o * 8 + i) * 3 + h) * 3 + w]);
    }
    const runningVar = await model.namedVariables().get('layer4.1.bn2.running_var')!.data();
    expect([...runningVar]).toEqual([...toFloat32('v', readSafetensors(readFileSync(FILE)).get('layer4.1.bn2.running_var')!)]);
    model.dispose();
  });

  it('names the tensor and both shapes when the architecture does not match, changing nothing', async () => {
    const bytes = readFileSync(FILE);
    const imagenet = narrow18('imagenet');
    const before = imagenet.namedVariables().get('layer1.0.conv1.weight')!.dataSync().slice();
    expect(() => importTorchWeightsSync(imagenet, bytes)).toThrow(/conv1\.weight with shape \[8, 3, 3, 3\], but resnet expects \[8, 3, 7, 7\]/);
    expect(imagenet.namedVariables().get('layer1.0.conv1.weight')!.dataSync()).toEqual(before);
    imagenet.dispose();

    const deeper = resnet({ block: 'basic', layers: [2, 2, 3, 2], stem: 'cifar', width: 0.125 });
    expect(() => importTorchWeightsSync(deeper, bytes)).toThrow(/lacks 10 tensor\(s\) of resnet: layer3\.2\.conv1\.weight \[32, 32, 3, 3\]/);
    deeper.dispose();

    const shallower = resnet({ block: 'basic', layers: [2, 2, 1, 2], stem: 'cifar', width: 0.125 });
    expect(() => importTorchWeightsSync(shallower, bytes)).toThrow(/has tensor layer3\.1\.conv1\.weight .* that resnet does not have/);
    const { skipped } = importTorchWeightsSync(shallower, bytes, { strict: false });
    expect(skipped.filter((n) => n.startsWith('layer3.1.'))).toHaveLength(10 + 2);
    shallower.dispose();
  });

  it('strips a wrapper prefix and skips the classifier', () => {
    const source = readSafetensors(readFileSync(FILE));
    const entries: Record<string, { dtype: string; shape: number[]; bytes: Uint8Array }> = {};
    for (const [name, t] of source) entries[`module.${name}`] = t;
    entries['module.fc.weight'] = { dtype: 'F32', shape: [10, 64], bytes: new Uint8Array(10 * 64 * 4) };
    const model = narrow18();
    const { skipped } = importTorchWeightsSync(model, safetensors(entries), { stripPrefix: 'module.' });
    expect(skipped).toContain('module.fc.weight');
    const x = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    tf.dispose([x, model.apply(x)]);
    model.dispose();
  });
});
