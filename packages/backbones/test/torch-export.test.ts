import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, decodeSafetensors } from '@selfsup/core';
import { exportTorchWeights, exportTorchWeightsAsync, importTorchWeightsSync, resnet, resnet18, smallConvnet, type Backbone } from '../src/index';
import { maxAbsDiff, torchPython } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-torch-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Random running statistics and affine parameters, so that no batch norm is the identity. */
function randomiseBatchNorm(net: Backbone, seed: number): void {
  const rng = createRng(seed);
  for (const [name, v] of net.namedVariables()) {
    if (v.rank !== 1) continue;
    const u = tf.randomUniform(v.shape, 0, 1, 'float32', rng.fork(name).tfSeed());
    const value = name.endsWith('running_var') ? tf.add(u, 0.5) : name.endsWith('.weight') ? tf.add(u, 0.5) : tf.sub(u, 0.5);
    v.assign(value);
    tf.dispose([u, value]);
  }
}

const PYTHON = torchPython();
const SCRIPT = join(__dirname, '..', 'python');

/** Features of the exported file computed by PyTorch (selfsup_backbones.load), on NCHW input. */
function torchFeatures(file: string, input: tf.Tensor4D): number[] {
  const nchw = tf.tidy(() => tf.transpose(input, [0, 3, 1, 2]));
  const inputFile = join(dir, 'input.json');
  writeFileSync(inputFile, JSON.stringify({ shape: nchw.shape, values: Array.from(nchw.dataSync()) }));
  nchw.dispose();
  const code = [
    'import json, sys, torch',
    `sys.path.insert(0, ${JSON.stringify(SCRIPT)})`,
    'import selfsup_backbones as sb',
    'model = sb.load(sys.argv[1])',
    'x = json.load(open(sys.argv[2]))',
    "x = torch.tensor(x['values'], dtype=torch.float32).reshape(x['shape'])",
    'with torch.no_grad(): print(json.dumps(model(x).flatten().tolist()))',
  ].join('\n');
  return JSON.parse(execFileSync(PYTHON!, ['-c', code, file, inputFile], { encoding: 'utf8' })) as number[];
}

const CASES: [string, () => Backbone, number][] = [
  ['resnet18, CIFAR stem', () => resnet18({ stem: 'cifar', rng: createRng(1) }), 32],
  ['resnet18, ImageNet stem', () => resnet18({ stem: 'imagenet', rng: createRng(2) }), 64],
  ['small convnet', () => smallConvnet({ widths: [8, 16, 24], rng: createRng(3) }), 32],
];

describe('exportTorchWeights', () => {
  describe.skipIf(!PYTHON).each(CASES)('%s', (_, make, size) => {
    it('gives the features tfjs gives, in PyTorch (torchvision for ResNets), within 1e-4', () => {
      const net = make();
      randomiseBatchNorm(net, 7);
      const file = join(dir, `${net.name}.safetensors`);
      writeFileSync(file, exportTorchWeights(net));
      const x = tf.randomUniform([3, size, size, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
      const ours = net.apply(x, { training: false });
      const scale = Math.max(1, ...Array.from(ours.dataSync(), Math.abs));
      expect(maxAbsDiff(torchFeatures(file, x), ours.dataSync())).toBeLessThanOrEqual(1e-4 * scale);
      tf.dispose([x, ours]);
      net.dispose();
    }, 120_000);
  });
  it.runIf(!PYTHON)('skips the PyTorch checks: no python3 with torch and torchvision (apt-get install python3-torchvision)', () => {});

  it('writes what importTorchWeights reads back bit for bit, with num_batches_tracked and the spec', () => {
    const net = resnet({ block: 'bottleneck', layers: [1, 1, 1, 1], stem: 'imagenet', width: 0.125, rng: createRng(4) });
    randomiseBatchNorm(net, 5);
    const before = tf.memory().numTensors;
    const bytes = exportTorchWeights(net, { torchvision: false });
    expect(tf.memory().numTensors).toBe(before);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(JSON.parse(metadata.selfsup_spec)).toEqual(net.spec);
    expect(tensors.get('conv1.weight')!.shape).toEqual([8, 3, 7, 7]);
    expect(tensors.get('layer1.0.downsample.1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
    const copy = resnet({ block: 'bottleneck', layers: [1, 1, 1, 1], stem: 'imagenet', width: 0.125, rng: createRng(99) });
    const result = importTorchWeightsSync(copy, bytes);
    expect(result.layout).toBe('OIHW');
    expect(result.skipped.every((n) => n.endsWith('num_batches_tracked'))).toBe(true);
    for (const [name, v] of net.namedVariables()) expect(copy.namedVariables().get(name)!.dataSync()).toEqual(v.dataSync());
    net.dispose();
    copy.dispose();
  });

  it('writes the same bytes when it reads the weights asynchronously (exportTorchWeightsAsync)', async () => {
    const net = smallConvnet({ widths: [4, 8, 16], rng: createRng(6) });
    randomiseBatchNorm(net, 7);
    const before = tf.memory().numTensors;
    const bytes = await exportTorchWeightsAsync(net);
    expect(tf.memory().numTensors).toBe(before);
    expect(Buffer.from(bytes).equals(Buffer.from(exportTorchWeights(net)))).toBe(true);
    await expect(exportTorchWeightsAsync(resnet18({ stem: 'cifar', width: 0.5 }))).rejects.toThrow(/width 0.5/);
    net.dispose();
  });

  it('refuses a ResNet torchvision cannot build, pointing to ONNX', () => {
    const net = resnet18({ stem: 'cifar', width: 0.5 });
    expect(() => exportTorchWeights(net)).toThrow(/width 0.5; torchvision's ResNets have width 1 only.*selfsup export --format onnx/);
    net.dispose();
  });
});
