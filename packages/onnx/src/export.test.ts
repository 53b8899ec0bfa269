import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { resnet, resnet18, smallConvnet, type Backbone } from '@selfsup/backbones';
import { exportOnnx, type OnnxDenseLayer } from './index';
import { ModelProtoType } from './onnx-schema';

/** Max |onnx − tfjs| per compared output, printed at the end for the record. */
const measured: string[] = [];
afterAll(() => {
  console.log(`max abs error (tolerance 1e-4·max(1, max|tfjs|)):\n  ${measured.join('\n  ')}`);
});

let seed = 1;

/** Random BN statistics and affine parameters, so that no batch norm is the identity. */
function randomiseBatchNorm(net: Backbone): void {
  for (const [name, v] of net.namedVariables()) {
    if (v.rank !== 1) continue;
    const n = v.shape[0];
    const s = seed++;
    tf.tidy(() => {
      if (name.endsWith('running_mean')) v.assign(tf.randomNormal([n], 0, 0.2, 'float32', s));
      else if (name.endsWith('running_var')) v.assign(tf.randomUniform([n], 0.5, 2, 'float32', s));
      else if (name.endsWith('.weight')) v.assign(tf.randomUniform([n], 0.5, 1.5, 'float32', s));
      else if (name.endsWith('.bias')) v.assign(tf.randomNormal([n], 0, 0.2, 'float32', s));
    });
  }
}

/** A 2-layer head: Linear+bias → BN (affine) → ReLU → Linear (no bias) → BN (non-affine). */
function makeHead(inDim: number, hidden: number, out: number): OnnxDenseLayer[] {
  return [
    {
      kernel: tf.randomNormal([inDim, hidden], 0, 1 / Math.sqrt(inDim), 'float32', seed++),
      bias: tf.randomNormal([hidden], 0, 0.1, 'float32', seed++),
      batchNorm: {
        runningMean: tf.randomNormal([hidden], 0, 0.2, 'float32', seed++),
        runningVar: tf.randomUniform([hidden], 0.5, 2, 'float32', seed++),
        epsilon: 1e-5,
        gamma: tf.randomUniform([hidden], 0.5, 1.5, 'float32', seed++),
        beta: tf.randomNormal([hidden], 0, 0.2, 'float32', seed++),
      },
      relu: true,
    },
    {
      kernel: tf.randomNormal([hidden, out], 0, 1 / Math.sqrt(hidden), 'float32', seed++),
      batchNorm: {
        runningMean: tf.randomNormal([out], 0, 0.2, 'float32', seed++),
        runningVar: tf.randomUniform([out], 0.5, 2, 'float32', seed++),
        epsilon: 1e-3,
      },
      relu: false,
    },
  ];
}

function disposeHead(head: OnnxDenseLayer[]): void {
  for (const { kernel, bias, batchNorm } of head) tf.dispose([kernel, bias, batchNorm?.runningMean, batchNorm?.runningVar, batchNorm?.gamma, batchNorm?.beta].filter((t) => t !== undefined));
}

/** The head in tfjs, as a reference. */
function applyHead(x: tf.Tensor2D, head: OnnxDenseLayer[]): tf.Tensor2D {
  return tf.tidy(() =>
    head.reduce((h, { kernel, bias, batchNorm, relu }) => {
      let z: tf.Tensor2D = tf.matMul(h, kernel);
      if (bias) z = tf.add(z, bias);
      if (batchNorm) {
        const { runningMean, runningVar, epsilon, gamma, beta } = batchNorm;
        z = tf.div(tf.sub(z, runningMean), tf.sqrt(tf.add(runningVar, epsilon)));
        if (gamma) z = tf.mul(z, gamma);
        if (beta) z = tf.add(z, beta);
      }
      return relu ? tf.relu(z) : z;
    }, x),
  );
}

function compare(label: string, actual: ort.Tensor, expected: tf.Tensor): void {
  expect(actual.dims).toEqual(expected.shape);
  const a = actual.data as Float32Array;
  const b = expected.dataSync();
  let maxErr = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  measured.push(`${label}: ${maxErr.toExponential(2)} (max|tfjs| ${scale.toFixed(2)})`);
  expect(maxErr).toBeLessThanOrEqual(1e-4 * scale);
}

interface RoundTrip {
  label: string;
  net: Backbone;
  size: [number, number];
  layout?: 'nchw' | 'nhwc';
  imageSize?: [number, number];
  head?: OnnxDenseLayer[];
  /** Batch sizes at which taps are compared too (default both; each costs one more tfjs forward). */
  tapBatches?: number[];
}

/** Exports with taps (and the head), runs onnxruntime at batch 1 and 5, compares every output. */
async function roundTrip({ label, net, size, layout, imageSize, head, tapBatches = [1, 5] }: RoundTrip): Promise<void> {
  const bytes = await exportOnnx(net, { taps: true, layout, imageSize, head });
  const session = await ort.InferenceSession.create(bytes);
  try {
    for (const batch of [1, 5]) {
      const x = tf.randomUniform([batch, size[0], size[1], 3], 0, 1, 'float32', seed++) as tf.Tensor4D;
      const input = layout === 'nhwc' ? x : tf.transpose(x, [0, 3, 1, 2]);
      const feed = { images: new ort.Tensor('float32', input.dataSync() as Float32Array, input.shape) };
      const out = await session.run(feed);
      const features = net.apply(x, { training: false });
      compare(`${label} b${batch} features`, out.features, features);
      const taps = tapBatches.includes(batch) ? net.taps(x, { training: false }) : {};
      for (const [name, tap] of Object.entries(taps)) compare(`${label} b${batch} ${name}`, out[name], tap);
      if (head) {
        const projection = applyHead(features, head);
        compare(`${label} b${batch} projection`, out.projection, projection);
        projection.dispose();
      }
      tf.dispose([x, input, features, ...Object.values(taps)]);
    }
  } finally {
    await session.release();
  }
}

describe('exportOnnx round trip through onnxruntime', () => {
  it('resnet18 (cifar stem) at 32×32, with taps and a 2-layer head', async () => {
    const net = resnet18({ stem: 'cifar' });
    randomiseBatchNorm(net);
    const head = makeHead(net.featureDim, 64, 32);
    // tfjs on the cpu backend takes seconds per resnet18 forward: taps at batch 1 only.
    await roundTrip({ label: 'resnet18 cifar', net, size: [32, 32], head, tapBatches: [1] });
    disposeHead(head);
    net.dispose();
  }, 180_000);

  it('a bottleneck resnet with the imagenet stem at 64×64, NHWC input, fixed image size', async () => {
    const net = resnet({ block: 'bottleneck', layers: [1, 1, 1, 1], stem: 'imagenet', width: 0.25, bnEpsilon: 1e-3 });
    randomiseBatchNorm(net);
    await roundTrip({ label: 'bottleneck imagenet nhwc', net, size: [64, 64], layout: 'nhwc', imageSize: [64, 64] });
    net.dispose();
  });

  it('a bottleneck resnet with the imagenet stem at an odd 45×38, NCHW input', async () => {
    const net = resnet({ block: 'bottleneck', layers: [1, 1, 1, 1], stem: 'imagenet', width: 0.25 });
    randomiseBatchNorm(net);
    await roundTrip({ label: 'bottleneck imagenet 45×38', net, size: [45, 38] });
    net.dispose();
  });

  it('smallConvnet, NCHW and NHWC, with a head', async () => {
    const net = smallConvnet();
    randomiseBatchNorm(net);
    const head = makeHead(net.featureDim, 32, 16);
    await roundTrip({ label: 'smallConvnet', net, size: [32, 32], head });
    await roundTrip({ label: 'smallConvnet nhwc 27×31', net, size: [27, 31], layout: 'nhwc' });
    disposeHead(head);
    net.dispose();
  });
});

describe('the exported model', () => {
  it('parses back: IR 8, opset 17, named inputs, outputs and PyTorch-named OIHW initializers', async () => {
    const net = resnet18({ stem: 'cifar', width: 0.125 });
    const head = makeHead(net.featureDim, 16, 8);
    const bytes = await exportOnnx(net, { head, taps: true, producerVersion: '9.9.9' });
    const model = ModelProtoType.toObject(ModelProtoType.decode(bytes), { longs: Number, defaults: false }) as {
      ir_version: number;
      opset_import: { domain?: string; version: number }[];
      producer_name: string;
      producer_version: string;
      graph: {
        input: { name: string; type: { tensor_type: { shape: { dim: Record<string, unknown>[] } } } }[];
        output: { name: string; type: { tensor_type: { shape: { dim: Record<string, unknown>[] } } } }[];
        initializer: { name: string; dims: number[] }[];
        node: { op_type: string }[];
      };
      metadata_props: { key: string; value: string }[];
    };
    expect(model.ir_version).toBe(8);
    expect(model.opset_import).toEqual([{ domain: '', version: 17 }]);
    expect(model.producer_name).toBe('@selfsup/onnx');
    expect(model.producer_version).toBe('9.9.9');
    const { graph } = model;
    expect(graph.input.map((v) => v.name)).toEqual(['images']);
    expect(graph.input[0].type.tensor_type.shape.dim).toEqual([{ dim_param: 'batch' }, { dim_value: 3 }, { dim_param: 'height' }, { dim_param: 'width' }]);
    expect(graph.output.map((v) => v.name)).toEqual(['features', 'projection', 'layer1', 'layer2', 'layer3', 'layer4']);
    expect(graph.output[0].type.tensor_type.shape.dim).toEqual([{ dim_param: 'batch' }, { dim_value: 64 }]);
    expect(graph.output[1].type.tensor_type.shape.dim).toEqual([{ dim_param: 'batch' }, { dim_value: 8 }]);
    const dims = new Map(graph.initializer.map((t) => [t.name, t.dims]));
    expect(dims.get('conv1.weight')).toEqual([8, 3, 3, 3]);
    expect(dims.get('layer2.0.downsample.0.weight')).toEqual([16, 8, 1, 1]);
    expect(dims.get('layer4.1.bn2.running_var')).toEqual([64]);
    expect(dims.get('head.0.kernel')).toEqual([64, 16]);
    expect(dims.get('head.1.bn.weight')).toEqual([8]);
    expect(dims.size).toBe(net.namedVariables().size + 6 + 5); // head: kernel, bias, 4 BN; kernel, 4 BN
    expect(new Set(graph.node.map((n) => n.op_type))).toEqual(
      new Set(['Conv', 'BatchNormalization', 'Relu', 'Add', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Identity']),
    );
    const spec = model.metadata_props.find((p) => p.key === 'selfsup.backbone_spec');
    expect(JSON.parse(spec?.value ?? 'null')).toEqual(net.spec);
    disposeHead(head);
    net.dispose();
  });

  it('creates and leaves no tensors', async () => {
    const net = smallConvnet({ widths: [8, 16] });
    const head = makeHead(net.featureDim, 8, 4);
    const before = tf.memory().numTensors;
    await exportOnnx(net, { head, taps: true, layout: 'nhwc' });
    expect(tf.memory().numTensors).toBe(before);
    disposeHead(head);
    net.dispose();
  });

  it('producer_version defaults to the package version', async () => {
    const pkg = (await import('../package.json')).default as { version: string };
    const net = smallConvnet({ widths: [4] });
    const model = ModelProtoType.decode(await exportOnnx(net)) as unknown as { producer_version: string };
    expect(model.producer_version).toBe(pkg.version);
    net.dispose();
  });
});
