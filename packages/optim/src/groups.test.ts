import { describe, expect, it } from 'vitest';
import { OptimError } from './errors';
import { BN_AND_BIAS, GroupResolver, toPredicate } from './groups';

describe('BN_AND_BIAS', () => {
  it('matches batch norm and bias under a model scope, not kernels', () => {
    const yes = [
      'resnet18_3/layer1.0.bn1.weight',
      'resnet18_3/bn1.bias',
      'batch_normalization_4/gamma',
      'head/dense_1/bias',
      'proj/layer_norm/beta',
      'block/bn/moving_mean',
    ];
    const no = ['resnet18_3/layer1.0.conv1.weight', 'head/dense_1/kernel', 'resnet18_3/fc.weight', 'abnormal/kernel'];
    for (const n of yes) expect(BN_AND_BIAS.test(n), n).toBe(true);
    for (const n of no) expect(BN_AND_BIAS.test(n), n).toBe(false);
  });
});

describe('GroupResolver', () => {
  it('first match wins; the rest use the defaults; weightDecay overrides weightDecayScale', () => {
    const r = new GroupResolver(
      [
        { match: /bias$/, weightDecay: 0 },
        { match: (n) => n.startsWith('head/'), lrScale: 10, weightDecayScale: 0.5 },
        { match: /kernel/, lrScale: 3 },
      ],
      1e-4,
    );
    expect(r.resolve('head/bias')).toEqual({ index: 0, lrScale: 1, weightDecay: 0 });
    expect(r.resolve('head/kernel')).toEqual({ index: 1, lrScale: 10, weightDecay: 0.5e-4 });
    expect(r.resolve('body/kernel')).toEqual({ index: 2, lrScale: 3, weightDecay: 1e-4 });
    expect(r.resolve('body/gamma')).toEqual({ index: -1, lrScale: 1, weightDecay: 1e-4 });
  });

  it('a global RegExp gives the same answer every call', () => {
    const p = toPredicate(/bias/g);
    expect([p('a/bias'), p('a/bias'), p('a/bias')]).toEqual([true, true, true]);
  });

  it('rejects a group without a matcher or with a negative scale', () => {
    expect(() => new GroupResolver([{ match: 'bias' as never }], 0)).toThrow(OptimError);
    expect(() => new GroupResolver([{ match: /x/, lrScale: -1 }], 0)).toThrow(/lrScale >= 0/);
  });
});
