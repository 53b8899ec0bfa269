import * as tf from '@tensorflow/tfjs-core';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createRng } from '@selfsup/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildBackbone,
  importTorchWeights,
  importTorchWeightsSync,
  loadBackbone,
  loadWeights,
  resnet,
  resnet18,
  resnet34,
  resnet50,
  saveWeights,
  smallConvnet,
  type Backbone,
  type BackboneSpec,
} from '../index';
import { resolveLocation } from './weights-io';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-load-backbone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bits(model: Backbone): Promise<Map<string, Uint32Array>> {
  const out = new Map<string, Uint32Array>();
  for (const [name, v] of model.namedVariables()) out.set(name, new Uint32Array((await v.data()).slice().buffer));
  return out;
}

/** Eval and training-mode outputs (training without touching the statistics), as raw bits. */
async function outputs(model: Backbone, x: tf.Tensor4D): Promise<Uint32Array[]> {
  const ys = [model.apply(x), model.apply(x, { training: true, updateStatistics: false }), ...Object.values(model.taps(x))];
  const out = await Promise.all(ys.map(async (y) => new Uint32Array((await y.data()).slice().buffer)));
  tf.dispose(ys);
  return out;
}

/** Moves the running statistics away from 0/1, so that a load that missed them shows. */
function train(model: Backbone, x: tf.Tensor4D): void {
  model.apply(x, { training: true }).dispose();
}

async function expectSame(a: Backbone, b: Backbone, x: tf.Tensor4D): Promise<void> {
  const [wa, wb] = [await bits(a), await bits(b)];
  expect([...wb.keys()]).toEqual([...wa.keys()]);
  for (const [name, v] of wa) expect(wb.get(name), name).toEqual(v);
  const [ya, yb] = [await outputs(a, x), await outputs(b, x)];
  ya.forEach((y, i) => expect(yb[i], `output ${i}`).toEqual(y));
}

const cases: { label: string; make: () => Backbone & { spec: BackboneSpec }; spec: BackboneSpec; channels?: number }[] = [
  {
    label: 'resnet18, cifar stem',
    make: () => resnet18({ stem: 'cifar', width: 0.0625, rng: createRng(1) }),
    spec: { kind: 'resnet18', stem: 'cifar', width: 0.0625, zeroInitResidual: false, bnMomentum: 0.1, bnEpsilon: 1e-5, inChannels: 3 },
  },
  {
    label: 'resnet18, imagenet stem, zero-init residual, 1 input channel, own BN settings',
    make: () => resnet18({ stem: 'imagenet', width: 0.125, zeroInitResidual: true, inChannels: 1, bnMomentum: 0.05, bnEpsilon: 1e-3, rng: createRng(2) }),
    spec: { kind: 'resnet18', stem: 'imagenet', width: 0.125, zeroInitResidual: true, bnMomentum: 0.05, bnEpsilon: 1e-3, inChannels: 1 },
    channels: 1,
  },
  {
    label: 'resnet34, imagenet stem',
    make: () => resnet34({ stem: 'imagenet', width: 0.0625, rng: createRng(3) }),
    spec: { kind: 'resnet34', stem: 'imagenet', width: 0.0625, zeroInitResidual: false, bnMomentum: 0.1, bnEpsilon: 1e-5, inChannels: 3 },
  },
  {
    label: 'resnet50, cifar stem',
    make: () => resnet50({ stem: 'cifar', width: 0.0625, rng: createRng(4) }),
    spec: { kind: 'resnet50', stem: 'cifar', width: 0.0625, zeroInitResidual: false, bnMomentum: 0.1, bnEpsilon: 1e-5, inChannels: 3 },
  },
  {
    label: 'resnet({ block, layers, name })',
    make: () => resnet({ block: 'bottleneck', layers: [1, 2, 1, 1], stem: 'imagenet', width: 0.0625, name: 'tiny', rng: createRng(5) }),
    spec: {
      kind: 'resnet',
      block: 'bottleneck',
      layers: [1, 2, 1, 1],
      name: 'tiny',
      stem: 'imagenet',
      width: 0.0625,
      zeroInitResidual: false,
      bnMomentum: 0.1,
      bnEpsilon: 1e-5,
      inChannels: 3,
    },
  },
  {
    label: 'smallConvnet',
    make: () => smallConvnet({ widths: [4, 8, 6], inChannels: 2, bnMomentum: 0.2, rng: createRng(6) }),
    spec: { kind: 'small-convnet', widths: [4, 8, 6], bnMomentum: 0.2, bnEpsilon: 1e-5, inChannels: 2 },
    channels: 2,
  },
];

describe('loadBackbone', () => {
  for (const { label, make, spec, channels = 3 } of cases) {
    it(`rebuilds ${label} from its recorded options, bit for bit`, async () => {
      const a = make();
      expect(a.spec).toEqual(spec);
      const x = tf.randomUniform([2, 32, 32, channels], 0, 1, 'float32', 7) as tf.Tensor4D;
      train(a, x);
      const target = join(dir, label.replace(/\W+/g, '-'));
      await saveWeights(a, `file://${target}`);
      const json = JSON.parse(readFileSync(join(target, 'model.json'), 'utf8'));
      expect(json.modelTopology.spec).toEqual(spec); // plain JSON, no rng
      const b = await loadBackbone(`file://${target}`);
      expect(b.name).toBe(a.name);
      expect(b.spec).toEqual(spec);
      expect(b.featureDim).toBe(a.featureDim);
      await expectSame(a, b, x);
      // buildBackbone(spec) gives the same architecture, initialised afresh.
      const c = buildBackbone(a.spec, { rng: createRng(99) });
      expect([...c.namedVariables()].map(([n, v]) => `${n}:${v.shape}`)).toEqual([...a.namedVariables()].map(([n, v]) => `${n}:${v.shape}`));
      tf.dispose(x);
      [a, b, c].forEach((m) => m.dispose());
    });
  }

  it('reads relative paths in Node: a directory or its model.json, from the current directory', async () => {
    const a = smallConvnet({ widths: [4, 8], rng: createRng(8) });
    const target = join(dir, 'relative', 'model');
    const rel = relative(process.cwd(), target);
    expect(rel.startsWith('/')).toBe(false);
    await saveWeights(a, rel);
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    for (const location of [rel, `./${rel}/model.json`, `file://${rel}`]) {
      const b = await loadBackbone(location);
      await expectSame(a, b, x);
      b.dispose();
    }
    const c = smallConvnet({ widths: [4, 8], rng: createRng(10) });
    await loadWeights(c, `./${rel}/model.json`); // the plain load takes it too
    await expectSame(a, c, x);
    tf.dispose(x);
    [a, c].forEach((m) => m.dispose());
  });

  it("resolves a relative URL against the page's location.href (browsers)", async () => {
    expect(resolveLocation('./model/model.json', 'http://example.org/app/index.html')).toEqual({
      kind: 'url',
      url: 'http://example.org/app/model/model.json',
    });
    expect(resolveLocation('/weights/model.json', 'https://example.org/app/')).toEqual({ kind: 'url', url: 'https://example.org/weights/model.json' });
    expect(resolveLocation('indexeddb://net', 'https://example.org/')).toEqual({ kind: 'url', url: 'indexeddb://net' });
    expect(resolveLocation('https://cdn.example.org/m/model.json', 'https://example.org/')).toEqual({ kind: 'url', url: 'https://cdn.example.org/m/model.json' });
    expect(resolveLocation('./model/model.json', undefined)).toEqual({ kind: 'file', path: './model/model.json' });
    expect(resolveLocation('file:///abs/dir', 'https://example.org/')).toEqual({ kind: 'file', path: '/abs/dir' });

    // End to end: a page at http://127.0.0.1:<port>/app/ loading ./model/model.json over HTTP.
    const a = resnet18({ stem: 'cifar', width: 0.0625, rng: createRng(11) });
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 12) as tf.Tensor4D;
    train(a, x);
    const served = join(dir, 'served');
    await saveWeights(a, `file://${join(served, 'app', 'model')}`);
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      requests.push(req.url ?? '');
      try {
        res.end(readFileSync(join(served, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as { port: number }).port;
    const g = globalThis as { location?: unknown };
    const saved = Object.getOwnPropertyDescriptor(g, 'location');
    g.location = { href: `http://127.0.0.1:${port}/app/index.html` };
    try {
      const b = await loadBackbone('./model/model.json');
      await expectSame(a, b, x);
      b.dispose();
      const c = resnet18({ stem: 'cifar', width: 0.0625, rng: createRng(13) });
      await loadWeights(c, 'model/model.json');
      await expectSame(a, c, x);
      c.dispose();
    } finally {
      if (saved) Object.defineProperty(g, 'location', saved);
      else delete g.location;
      await new Promise((done) => server.close(done));
    }
    expect(requests).toContain('/app/model/model.json');
    expect(requests).toContain('/app/model/weights.bin');
    tf.dispose(x);
    a.dispose();
  });

  it('says how to load weights saved without options: build the backbone and call loadWeights', async () => {
    const a = resnet18({ stem: 'cifar', width: 0.0625, rng: createRng(14) });
    const target = join(dir, 'old');
    await saveWeights(a, `file://${target}`);
    // What saveWeights wrote before it recorded the options.
    const file = join(target, 'model.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    delete json.modelTopology.spec;
    writeFileSync(file, JSON.stringify(json));
    const error = await loadBackbone(`file://${target}`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'WEIGHTS_NO_SPEC' });
    expect(String(error)).toMatch(/holds the weights of resnet18 but not its kind and constructor options/);
    expect(String(error)).toMatch(/build the same backbone yourself and load into it: loadWeights\(resnet18\(\{ stem: \.\.\., width: \.\.\. \}\), location\)/);
    const b = resnet18({ stem: 'cifar', width: 0.0625 });
    await loadWeights(b, `file://${target}`); // which works
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 15) as tf.Tensor4D;
    await expectSame(a, b, x);
    tf.dispose(x);

    // A backbone of the user's own records no options: the same error.
    const own = wrap(a);
    await saveWeights(own, `file://${join(dir, 'own')}`);
    await expect(loadBackbone(`file://${join(dir, 'own')}`)).rejects.toMatchObject({ code: 'WEIGHTS_NO_SPEC' });
    [a, b].forEach((m) => m.dispose());
  });

  it('refuses what is not ours, and options this version cannot build, changing nothing', async () => {
    const memory = (artifacts: tf.io.ModelArtifacts): tf.io.IOHandler => ({ load: async () => artifacts });
    await expect(loadBackbone(memory({ modelTopology: { class_name: 'Sequential' }, format: 'layers-model' }))).rejects.toMatchObject({
      code: 'WEIGHTS_NOT_BACKBONE',
    });
    const a = smallConvnet({ widths: [4] });
    let stored: tf.io.ModelArtifacts | undefined;
    await saveWeights(a, { save: async (artifacts) => ((stored = artifacts), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) }) });
    const topology = stored!.modelTopology as { spec: Record<string, unknown> };
    expect(topology.spec).toEqual({ kind: 'small-convnet', widths: [4], bnMomentum: 0.1, bnEpsilon: 1e-5, inChannels: 3 });
    const withSpec = (spec: unknown) => memory({ ...stored!, modelTopology: { ...topology, spec } });
    const before = tf.memory().numTensors;
    await expect(loadBackbone(withSpec({ ...topology.spec, kind: 'vit' }))).rejects.toThrow(/records a backbone spec that has kind "vit"/);
    await expect(loadBackbone(withSpec({ ...topology.spec, dropout: 0.1 }))).rejects.toThrow(/field\(s\) dropout that a small-convnet does not take/);
    await expect(loadBackbone(withSpec({ ...topology.spec, widths: 'wide' }))).rejects.toMatchObject({ code: 'BACKBONE_BAD_SPEC' });
    await expect(loadBackbone(withSpec({ ...topology.spec, widths: [4, 8] }))).rejects.toMatchObject({ code: 'WEIGHTS_MISMATCH' });
    expect(tf.memory().numTensors).toBe(before); // the backbone built for a failed load is disposed
    a.dispose();
  });
});

/** A user's backbone: the contract, no `spec`. */
function wrap(inner: Backbone): Backbone {
  return {
    name: 'mine',
    featureDim: inner.featureDim,
    tapNames: inner.tapNames,
    apply: (x, o) => inner.apply(x, o),
    taps: (x, o) => inner.taps(x, o),
    countParams: () => inner.countParams(),
    namedVariables: () => inner.namedVariables(),
    trainableVariables: () => inner.trainableVariables(),
    nonTrainableVariables: () => inner.nonTrainableVariables(),
    dispose: () => undefined,
  };
}

/**
 * A checkpoint laid out as @selfsup/train's `encodeCheckpoint` writes one: sorted names, backbone
 * variables as `backbone/<torch name>` with HWIO kernels, head and optimizer tensors beside them,
 * the selfsup state in `__metadata__`, the header padded to 8 bytes.
 */
function selfsupCheckpoint(
  backbone: Backbone,
  { metadata = true, prefix = 'backbone/', extras = true }: { metadata?: boolean; prefix?: string; extras?: boolean } = {},
): Uint8Array {
  const tensors: Record<string, { dtype: 'F32' | 'I32'; shape: number[]; data: Float32Array | Int32Array }> = {};
  for (const [name, v] of backbone.namedVariables()) tensors[`${prefix}${name}`] = { dtype: 'F32', shape: v.shape, data: v.dataSync() as Float32Array };
  if (extras) {
    tensors['head/0'] = { dtype: 'F32', shape: [backbone.featureDim, 4], data: new Float32Array(backbone.featureDim * 4).fill(0.5) };
    tensors['head/1'] = { dtype: 'F32', shape: [4], data: new Float32Array(4) };
    tensors['optimizer/backbone/conv1.weight/momentum'] = { dtype: 'F32', shape: [2], data: new Float32Array(2) };
    tensors['optimizer/step'] = { dtype: 'I32', shape: [1], data: new Int32Array([120]) };
  }
  const header: Record<string, unknown> = metadata
    ? { __metadata__: { format: 'selfsup-checkpoint-1', state: JSON.stringify({ step: 120, meta: {} }) } }
    : {};
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let at = 8 + text.length;
  for (const name of names) {
    const { data } = tensors[name];
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

describe('importTorchWeights reads selfsup checkpoints', () => {
  it('takes the backbone/ tensors of a training checkpoint as HWIO, skips head and optimizer, same outputs', async () => {
    const a = resnet18({ stem: 'cifar', width: 0.0625, rng: createRng(20) });
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 21) as tf.Tensor4D;
    train(a, x);
    const file = join(dir, 'step-000120.safetensors');
    writeFileSync(file, selfsupCheckpoint(a));
    const b = resnet18({ stem: 'cifar', width: 0.0625, rng: createRng(22) });
    const { loaded, skipped, layout } = await importTorchWeights(b, file);
    expect(layout).toBe('HWIO');
    expect(loaded).toHaveLength(a.namedVariables().size);
    expect(skipped.sort()).toEqual(['head/0', 'head/1', 'optimizer/backbone/conv1.weight/momentum', 'optimizer/step']);
    await expectSame(a, b, x);

    // Without the metadata, the prefix alone says it.
    const c = resnet18({ stem: 'cifar', width: 0.0625, rng: createRng(23) });
    expect(importTorchWeightsSync(c, selfsupCheckpoint(a, { metadata: false })).layout).toBe('HWIO');
    await expectSame(a, c, x);
    tf.dispose(x);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('uses the prefix where shapes cannot tell (every kernel 3×3 from 3 to 3 channels)', async () => {
    const a = smallConvnet({ widths: [3, 3], rng: createRng(24) }); // kernels [3, 3, 3, 3]: OIHW and HWIO alike
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 25) as tf.Tensor4D;
    const b = smallConvnet({ widths: [3, 3], rng: createRng(26) });
    expect(importTorchWeightsSync(b, selfsupCheckpoint(a)).layout).toBe('HWIO');
    await expectSame(a, b, x);
    // The same bytes without the prefix are a PyTorch file: transposed, so the outputs differ.
    const c = smallConvnet({ widths: [3, 3], rng: createRng(26) });
    expect(importTorchWeightsSync(c, selfsupCheckpoint(a, { prefix: '', extras: false, metadata: false })).layout).toBe('OIHW');
    expect((await outputs(c, x))[0]).not.toEqual((await outputs(a, x))[0]);
    tf.dispose(x);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('reads an unprefixed file of HWIO kernels by their shapes', async () => {
    const a = smallConvnet({ widths: [4, 8], rng: createRng(27) });
    const b = smallConvnet({ widths: [4, 8], rng: createRng(28) });
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 29) as tf.Tensor4D;
    expect(importTorchWeightsSync(b, selfsupCheckpoint(a, { prefix: '', extras: false, metadata: false })).layout).toBe('HWIO');
    await expectSame(a, b, x);
    tf.dispose(x);
    [a, b].forEach((m) => m.dispose());
  });

  it('names the fix for a wrong architecture or a kernel in the wrong layout, changing nothing', async () => {
    const a = smallConvnet({ widths: [4, 8], rng: createRng(30) });
    const wider = smallConvnet({ widths: [4, 16] });
    const before = await bits(wider);
    expect(() => importTorchWeightsSync(wider, selfsupCheckpoint(a))).toThrow(
      /backbone\/stage2\.bn\.bias with shape \[8\], but smallConvnet expects \[16\] \(HWIO, as selfsup checkpoints store it\).*config\.json/,
    );
    const after = await bits(wider);
    for (const [name, v] of before) expect(after.get(name)).toEqual(v);
    const deeper = smallConvnet({ widths: [4, 8, 8] });
    expect(() => importTorchWeightsSync(deeper, selfsupCheckpoint(a))).toThrow(/a selfsup checkpoint\) lacks 5 tensor\(s\) of smallConvnet: backbone\/stage3\.conv\.weight \[3, 3, 8, 8\]/);
    deeper.dispose();

    // One kernel permuted to PyTorch's OIHW inside a selfsup checkpoint.
    const bytes = selfsupCheckpoint(a);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    header['backbone/stage2.conv.weight'].shape = [8, 4, 3, 3];
    const text = new TextEncoder().encode(JSON.stringify(header).padEnd(Number(new DataView(bytes.buffer).getBigUint64(0, true)), ' '));
    const patched = bytes.slice();
    patched.set(text, 8);
    const b = smallConvnet({ widths: [4, 8] });
    expect(() => importTorchWeightsSync(b, patched)).toThrow(/as \[8, 4, 3, 3\], PyTorch's OIHW layout, but it is a selfsup checkpoint.*w\.permute\(2, 3, 1, 0\)/);
    [a, wider, b].forEach((m) => m.dispose());
  });
});
