import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { smallConvnet, type Backbone } from '@selfsup/backbones';
import { exportOnnx, OnnxError, type OnnxDenseLayer, type OnnxExportOptions } from './index';

/** A user's own backbone: the whole Backbone contract, delegating to a small convnet, but no spec. */
function customBackbone(extra: Record<string, unknown> = {}): Backbone & { dispose(): void } {
  const inner = smallConvnet({ widths: [4, 8] });
  return {
    name: 'mine',
    featureDim: inner.featureDim,
    tapNames: inner.tapNames,
    apply: (x, options) => inner.apply(x, options),
    taps: (x, options) => inner.taps(x, options),
    countParams: () => inner.countParams(),
    namedVariables: () => inner.namedVariables(),
    trainableVariables: () => inner.trainableVariables(),
    nonTrainableVariables: () => inner.nonTrainableVariables(),
    dispose: () => inner.dispose(),
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<OnnxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OnnxError);
  return error as OnnxError;
}

describe('exportOnnx errors', () => {
  it('refuses a custom backbone (no spec), naming what is supported', async () => {
    const mine = customBackbone();
    const error = await rejection(exportOnnx(mine));
    expect(error.code).toBe('ONNX_UNSUPPORTED_BACKBONE');
    expect(error.message).toContain("backbone 'mine'");
    expect(error.message).toContain('resnet18, resnet34, resnet50');
    expect(error.message).toContain('smallConvnet');
    mine.dispose();
  });

  it('refuses a spec kind it does not know', async () => {
    const mine = customBackbone({ spec: { kind: 'vit-tiny' } });
    const error = await rejection(exportOnnx(mine));
    expect(error.code).toBe('ONNX_UNSUPPORTED_BACKBONE');
    expect(error.message).toContain('"vit-tiny"');
    mine.dispose();
    const odd = customBackbone({ spec: { kind: 'small-convnet', widths: 'wide', bnEpsilon: 1e-5, inChannels: 3 } });
    const malformed = await rejection(exportOnnx(odd));
    expect(malformed.code).toBe('ONNX_UNSUPPORTED_BACKBONE');
    expect(malformed.message).toContain('widths = "wide"');
    odd.dispose();
  });

  it('refuses a backbone whose variables do not fit its spec', async () => {
    const mine = customBackbone({ spec: { kind: 'small-convnet', widths: [4, 16], bnEpsilon: 1e-5, inChannels: 3 } });
    const error = await rejection(exportOnnx(mine));
    expect(error.code).toBe('ONNX_BACKBONE_MISMATCH');
    expect(error.message).toContain("'stage2.conv.weight' of shape [3, 3, 4, 16]");
    mine.dispose();
  });

  it('refuses a disposed backbone', async () => {
    const net = smallConvnet({ widths: [4] });
    net.dispose();
    expect((await rejection(exportOnnx(net))).code).toBe('ONNX_BACKBONE_DISPOSED');
  });

  it("refuses a head whose first kernel's input width is not featureDim", async () => {
    const net = smallConvnet({ widths: [4, 8] });
    const kernel = tf.zeros([16, 4]) as tf.Tensor2D;
    const error = await rejection(exportOnnx(net, { head: [{ kernel, relu: false }] }));
    expect(error.code).toBe('ONNX_BAD_HEAD');
    expect(error.message).toContain('[8, out]');
    tf.dispose(kernel);
    net.dispose();
  });

  it('refuses other bad heads: empty, chained widths, vectors, epsilon, relu', async () => {
    const net = smallConvnet({ widths: [4, 8] });
    const k1 = tf.zeros([8, 6]) as tf.Tensor2D;
    const k2 = tf.zeros([5, 2]) as tf.Tensor2D;
    const v5 = tf.zeros([5]) as tf.Tensor1D;
    const v6 = tf.zeros([6]) as tf.Tensor1D;
    const heads: unknown[] = [
      [],
      [
        { kernel: k1, relu: true },
        { kernel: k2, relu: false },
      ],
      [{ kernel: k1, bias: v5, relu: false }],
      [{ kernel: k1, batchNorm: { runningMean: v6, runningVar: v6, epsilon: 0 }, relu: false }],
      [{ kernel: k1, batchNorm: { runningMean: v6, runningVar: v6, epsilon: 1e-5, gamma: v5 }, relu: false }],
      [{ kernel: k1 }],
    ];
    for (const head of heads) {
      expect((await rejection(exportOnnx(net, { head: head as OnnxDenseLayer[] }))).code).toBe('ONNX_BAD_HEAD');
    }
    tf.dispose([k1, k2, v5, v6]);
    net.dispose();
  });

  it('refuses bad options', async () => {
    const net = smallConvnet({ widths: [4, 8, 8] });
    const options: unknown[] = [
      { layout: 'nwhc' },
      { imageSize: [32] },
      { imageSize: [32, 0] },
      { taps: 'yes' },
      { producerVersion: 1 },
      { tap: true },
      // conv keeps 2×2, the first max-pool makes 1×1, the second 0×0.
      { imageSize: [2, 2] },
    ];
    for (const o of options) {
      expect((await rejection(exportOnnx(net, o as OnnxExportOptions))).code).toBe('ONNX_BAD_OPTION');
    }
    await expect(exportOnnx(net, { imageSize: [4, 4] })).resolves.toBeInstanceOf(Uint8Array);
    net.dispose();
  });
});
