import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { afterEach, describe, expect, it } from 'vitest';
import { BackboneError, resnet, resnet18, resnet34, resnet50, type ResNet } from './index';
import { readFixture } from '../test/helpers';

const made: ResNet[] = [];
function keep(model: ResNet): ResNet {
  made.push(model);
  return model;
}
afterEach(() => {
  made.splice(0).forEach((m) => m.dispose());
});

/** torchvision state_dict names and shapes (test/fixtures/make_fixtures.py). */
const torchvision = readFixture<Record<string, Record<string, number[]> | number>>('torchvision-names.json');

describe('parameter counts (issue 4, classifier excluded)', () => {
  it.each([
    ['resnet18', 'cifar', 11_168_832],
    ['resnet18', 'imagenet', 11_176_512],
    ['resnet34', 'imagenet', 21_284_672],
    ['resnet50', 'imagenet', 23_508_032],
  ] as const)('%s %s has %i trainable parameters', (arch, stem, count) => {
    const factory = { resnet18, resnet34, resnet50 }[arch];
    const model = keep(factory({ stem }));
    expect(model.countParams()).toBe(count);
    if (stem === 'imagenet') expect(count).toBe(torchvision[`${arch}_trainable_without_fc`]);
    const running = model.nonTrainableVariables();
    expect(running.every((v) => /running_(mean|var)$/.test(v.name))).toBe(true);
    expect(model.featureDim).toBe(arch === 'resnet50' ? 2048 : 512);
  });
});

describe('torchvision layout', () => {
  it.each(['resnet18', 'resnet34', 'resnet50'] as const)('%s has exactly torchvision\'s parameter names and shapes', (arch) => {
    const model = keep({ resnet18, resnet34, resnet50 }[arch]({ stem: 'imagenet' }));
    const ours: Record<string, number[]> = {};
    for (const [name, v] of model.namedVariables()) {
      // HWIO here, OIHW in PyTorch.
      const s = v.shape as number[];
      ours[name] = s.length === 4 ? [s[3], s[2], s[0], s[1]] : s;
    }
    const theirs = Object.fromEntries(
      Object.entries(torchvision[arch] as Record<string, number[]>).filter(
        ([name]) => !name.startsWith('fc.') && !name.endsWith('num_batches_tracked'),
      ),
    );
    expect(ours).toEqual(theirs);
  });

  it('scales every stage with width and keeps the cifar stem 3×3', () => {
    const model = keep(resnet18({ stem: 'cifar', width: 0.5 }));
    const named = model.namedVariables();
    expect(named.get('conv1.weight')!.shape).toEqual([3, 3, 3, 32]);
    expect(named.get('layer4.1.conv2.weight')!.shape).toEqual([3, 3, 256, 256]);
    expect(model.featureDim).toBe(256);
  });

  it('gives each instance its own variable scope', () => {
    const a = keep(resnet({ block: 'basic', layers: [1, 1, 1, 1], stem: 'cifar', width: 0.0625 }));
    const b = keep(resnet({ block: 'basic', layers: [1, 1, 1, 1], stem: 'cifar', width: 0.0625 }));
    const nameA = a.namedVariables().get('conv1.weight')!.name;
    const nameB = b.namedVariables().get('conv1.weight')!.name;
    expect(nameA).not.toBe(nameB);
    expect(nameA.endsWith('/conv1.weight')).toBe(true);
  });
});

describe('initialisation', () => {
  it('draws convs from N(0, 2/fan_out) (kaiming_normal_, fan_out, relu) and sets BN to γ=1, β=0', async () => {
    const model = keep(resnet18({ stem: 'cifar', rng: createRng(7) }));
    const named = model.namedVariables();
    // 3·3·512·512 = 2.4M draws: the sample std is within ~0.05 % of the true one.
    const w = await named.get('layer4.1.conv2.weight')!.data();
    let sum = 0;
    let sq = 0;
    for (const v of w) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / w.length;
    const std = Math.sqrt(sq / w.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    expect(std / Math.sqrt(2 / (512 * 9))).toBeCloseTo(1, 2);
    // The 1×1 downsample of layer2: fan_out = 128.
    const d = (await named.get('layer2.0.downsample.0.weight')!.data()) as Float32Array;
    const dstd = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    expect(dstd / Math.sqrt(2 / 128)).toBeGreaterThan(0.95);
    expect(dstd / Math.sqrt(2 / 128)).toBeLessThan(1.05);
    expect([...(await named.get('layer3.0.bn1.weight')!.data())].every((v) => v === 1)).toBe(true);
    expect([...(await named.get('layer3.0.bn1.bias')!.data())].every((v) => v === 0)).toBe(true);
    expect([...(await named.get('layer3.0.bn1.running_var')!.data())].every((v) => v === 1)).toBe(true);
  });

  it('is reproducible from the seed and differs across seeds', async () => {
    const opts = { block: 'basic', layers: [1, 1, 1, 1], stem: 'cifar', width: 0.125 } as const;
    const a = keep(resnet({ ...opts, rng: createRng(1) }));
    const b = keep(resnet({ ...opts, rng: createRng(1) }));
    const c = keep(resnet({ ...opts, rng: createRng(2) }));
    const get = (m: ResNet) => m.namedVariables().get('layer1.0.conv1.weight')!.dataSync();
    expect(get(a)).toEqual(get(b));
    expect(get(a)).not.toEqual(get(c));
  });

  it('zeroInitResidual zeroes the last BN γ of every block, so blocks start as identities', async () => {
    const basic = keep(resnet18({ stem: 'cifar', width: 0.125, zeroInitResidual: true }));
    const bottle = keep(resnet50({ stem: 'cifar', width: 0.0625, zeroInitResidual: true }));
    for (const [model, last] of [[basic, 'bn2'], [bottle, 'bn3']] as const) {
      for (const [name, v] of model.namedVariables()) {
        const isLast = new RegExp(`^layer\\d\\.\\d+\\.${last}\\.weight$`).test(name);
        const values = [...(await v.data())];
        if (isLast) expect(values.every((x) => x === 0), name).toBe(true);
        else if (name.endsWith('bn1.weight')) expect(values.every((x) => x === 1), name).toBe(true);
      }
    }
    // In a block without downsample, the output is then relu(x) = x (x is already post-ReLU).
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const taps = basic.taps(x);
    const stem = tf.tidy(() => {
      const named = basic.namedVariables();
      const h = tf.conv2d(x, named.get('conv1.weight') as tf.Variable<tf.Rank.R4>, 1, 1);
      const bn = (t: tf.Tensor4D) =>
        tf.add(tf.mul(tf.div(tf.sub(t, named.get('bn1.running_mean')!), tf.sqrt(tf.add(named.get('bn1.running_var')!, 1e-5))), named.get('bn1.weight')!), named.get('bn1.bias')!);
      return tf.mean(tf.relu(bn(h)), [1, 2]);
    });
    expect(tf.max(tf.abs(tf.sub(taps.layer1, stem))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([x, stem, ...Object.values(taps)]);
  });
});

describe('options', () => {
  it('rejects bad options with a fix', () => {
    expect(() => resnet18({ stem: 'tiny' as 'cifar' })).toThrow(/stem: 'cifar'/);
    expect(() => resnet18({ stem: 'cifar', width: 0 })).toThrow(BackboneError);
    expect(() => resnet18({ stem: 'cifar', bnMomentum: 0.9 + 1 })).toThrow(/Keras 0.9 corresponds to 0.1/);
    expect(() => resnet({ block: 'basic', layers: [1, 1, 1] as never, stem: 'cifar' })).toThrow(/four positive integers/);
  });

  it('rejects wrong inputs and use after dispose', () => {
    const model = resnet({ block: 'basic', layers: [1, 1, 1, 1], stem: 'cifar', width: 0.0625 });
    const gray = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    expect(() => model.apply(gray)).toThrow(/inChannels: 1/);
    const ints = tf.zeros([1, 8, 8, 3], 'int32') as tf.Tensor4D;
    expect(() => model.apply(ints)).toThrow(/float32/);
    model.dispose();
    expect(() => model.apply(tf.zeros([1, 8, 8, 3]) as tf.Tensor4D)).toThrow(/after dispose/);
    tf.dispose([gray, ints]);
  });
});
