import type * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '@selfsup/backbones';
import { emitBackbone, emitPool, expectedTapNames, readSpec, type VariableData } from './backbone-graph';
import { OnnxError } from './errors';
import { GraphBuilder, ints } from './graph-builder';
import { checkHead, emitHead, readHead, type OnnxDenseLayer } from './head';
import { FLOAT, ModelProtoType, type DimensionProto, type ModelProto, type ValueInfoProto } from './onnx-schema';

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /** An MLP projection head applied to the pooled features, in order; adds the output `projection`. */
  head?: readonly OnnxDenseLayer[];
  /** Also output every tap (each stage's pooled output), named by the backbone's `tapNames` (default false). */
  taps?: boolean;
  /**
   * Layout of the input `images`: `'nchw'` (default; PyTorch's and ONNX's convention) or `'nhwc'`
   * (tfjs' layout; the graph starts with a Transpose).
   */
  layout?: 'nchw' | 'nhwc';
  /** Fixed `[height, width]` of the input; default dynamic (`'height'`, `'width'`). The batch is always dynamic. */
  imageSize?: [number, number];
  /** The model's `producer_version` (default this package's version). */
  producerVersion?: string;
}

/** ONNX opset and IR version of the exported models. */
export const OPSET = 17;
export const IR_VERSION = 8;
/** This package's version, the default `producer_version`. */
export const PACKAGE_VERSION = '0.1.0';

const OPTION_KEYS = ['head', 'taps', 'layout', 'imageSize', 'producerVersion'];
const INPUT = 'images';
const FEATURES = 'features';
const PROJECTION = 'projection';

/**
 * Exports one of @selfsup/backbones' backbones (with an optional MLP projection head) as an ONNX
 * model (opset 17, IR version 8) computing what `backbone.apply(x, { training: false })` computes:
 * input `images` float32 `[batch, channels, height, width]` (or NHWC with `layout: 'nhwc'`) in
 * [0, 1] as the backbone takes them (no normalisation inside), output `features`
 * `[batch, featureDim]`, plus `projection` `[batch, out]` with a head and each tap
 * `[batch, channels]` with `taps: true`. Weights are initializers named by their PyTorch names
 * (`layer1.0.conv1.weight`, OIHW); batch norm uses the running statistics.
 *
 * Returns the serialized `ModelProto`; writing it anywhere is the caller's business. Reads the
 * weights asynchronously (do not train the backbone meanwhile) and creates no tensors.
 *
 * Throws an {@link OnnxError}: `ONNX_UNSUPPORTED_BACKBONE` for a backbone without a recognised
 * `spec` (a user's own), `ONNX_BACKBONE_MISMATCH` when its variables do not fit its spec,
 * `ONNX_BACKBONE_DISPOSED`, `ONNX_BAD_HEAD`, `ONNX_BAD_OPTION`.
 */
export async function exportOnnx(backbone: Backbone, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const opts = checkOptions(options);
  const spec = readSpec(backbone);
  const owner = `backbone '${backbone.name}'`;
  const tapNames = expectedTapNames(spec);
  if (!sameNames(backbone.tapNames, tapNames)) {
    throw new OnnxError({
      code: 'ONNX_BACKBONE_MISMATCH',
      problem: `${owner} has tapNames [${Array.isArray(backbone.tapNames) ? backbone.tapNames.join(', ') : String(backbone.tapNames)}], but its ${spec.label} spec has taps [${tapNames.join(', ')}]`,
      fix: 'export a backbone built by @selfsup/backbones (or loadBackbone), whose tapNames match its spec',
    });
  }
  const head = opts.head === undefined ? undefined : checkHead(opts.head, backbone.featureDim);
  const variables = await readVariables(backbone.namedVariables(), owner);
  const headData = head ? await readHead(head) : undefined;

  const g = new GraphBuilder([INPUT]);
  const nchw = opts.layout === 'nhwc' ? g.node('Transpose', [INPUT], 'images_nchw', [ints('perm', [0, 3, 1, 2])]) : INPUT;
  const { stages } = emitBackbone(g, nchw, spec, variables, owner, opts.imageSize);
  const last = stages[stages.length - 1];
  if (last.channels !== backbone.featureDim) {
    throw new OnnxError({
      code: 'ONNX_BACKBONE_MISMATCH',
      problem: `${owner} says featureDim ${backbone.featureDim}, but its ${spec.label} spec ends with ${last.channels} channels`,
      fix: 'export a backbone built by @selfsup/backbones (or loadBackbone), whose featureDim matches its spec',
    });
  }
  const outputs: ValueInfoProto[] = [];
  emitPool(g, last.name, FEATURES);
  outputs.push(valueInfo(FEATURES, [BATCH, { dim_value: last.channels }], 'pooled features, as backbone.apply(x, { training: false })'));
  if (headData) {
    emitHead(g, FEATURES, headData, PROJECTION);
    const width = headData[headData.length - 1].out;
    outputs.push(valueInfo(PROJECTION, [BATCH, { dim_value: width }], 'projection head output'));
  }
  if (opts.taps) {
    stages.forEach((stage, s) => {
      const name = tapNames[s];
      if (stage === last) g.node('Identity', [FEATURES], name);
      else emitPool(g, stage.name, name);
      outputs.push(valueInfo(name, [BATCH, { dim_value: stage.channels }], `tap ${name}: stage ${s + 1} globally average-pooled`));
    });
  }

  const [h, w]: DimensionProto[] = opts.imageSize ? opts.imageSize.map((d) => ({ dim_value: d })) : [{ dim_param: 'height' }, { dim_param: 'width' }];
  const c: DimensionProto = { dim_value: spec.inChannels };
  const layoutName = opts.layout ?? 'nchw';
  const inputDims = layoutName === 'nhwc' ? [BATCH, h, w, c] : [BATCH, c, h, w];
  const inputDoc = `float32 images, ${layoutName.toUpperCase()}, values in [0, 1] as the backbone takes them (no normalisation)`;
  const model: ModelProto = {
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: '@selfsup/onnx',
    producer_version: opts.producerVersion ?? PACKAGE_VERSION,
    doc_string: `${backbone.name} (${spec.label}) exported by @selfsup/onnx`,
    graph: {
      name: backbone.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(INPUT, inputDims, inputDoc)],
      output: outputs,
    },
    metadata_props: [
      { key: 'selfsup.backbone_spec', value: JSON.stringify((backbone as { spec?: unknown }).spec) },
      { key: 'selfsup.input_layout', value: layoutName },
      { key: 'selfsup.input_range', value: '[0, 1]' },
    ],
  };
  const bytes = ModelProtoType.encode(model).finish();
  // In Node protobufjs returns a Buffer; hand back a plain Uint8Array view of the same bytes.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const BATCH: DimensionProto = { dim_param: 'batch' };

function valueInfo(name: string, dim: DimensionProto[], doc: string): ValueInfoProto {
  return { name, type: { tensor_type: { elem_type: FLOAT, shape: { dim } } }, doc_string: doc };
}

function checkOptions(options: unknown): OnnxExportOptions {
  const bad = (problem: string, fix: string) => new OnnxError({ code: 'ONNX_BAD_OPTION', problem: `exportOnnx() got ${problem}`, fix });
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw bad(`options ${JSON.stringify(options)}`, 'pass an object such as { layout: "nchw", taps: true }, or nothing');
  }
  const o = options as Record<string, unknown>;
  const unknown = Object.keys(o).filter((key) => !OPTION_KEYS.includes(key));
  if (unknown.length > 0) throw bad(`unknown option(s) ${unknown.join(', ')}`, `use only ${OPTION_KEYS.join(', ')}`);
  if (o.layout !== undefined && o.layout !== 'nchw' && o.layout !== 'nhwc') {
    throw bad(`layout ${JSON.stringify(o.layout)}`, "pass layout: 'nchw' (default) or 'nhwc'");
  }
  if (o.taps !== undefined && typeof o.taps !== 'boolean') throw bad(`taps ${JSON.stringify(o.taps)}`, 'pass taps: true or false');
  if (o.producerVersion !== undefined && typeof o.producerVersion !== 'string') {
    throw bad(`producerVersion ${JSON.stringify(o.producerVersion)}`, 'pass a string, e.g. "1.2.0"');
  }
  if (o.imageSize !== undefined) {
    const size = o.imageSize;
    if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d > 0)) {
      throw bad(`imageSize ${JSON.stringify(size)}`, 'pass [height, width], two positive integers, or leave it out for dynamic sizes');
    }
  }
  return o as OnnxExportOptions;
}

function sameNames(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((name, i) => name === b[i]);
}

async function readVariables(named: Map<string, tf.Variable>, owner: string): Promise<Map<string, VariableData>> {
  const entries = [...named];
  const disposed = entries.find(([, v]) => v.isDisposed);
  if (disposed) {
    throw new OnnxError({
      code: 'ONNX_BACKBONE_DISPOSED',
      problem: `${owner} is disposed (variable '${disposed[0]}')`,
      fix: 'export the backbone before calling dispose()',
    });
  }
  const notFloat = entries.find(([, v]) => v.dtype !== 'float32');
  if (notFloat) {
    throw new OnnxError({
      code: 'ONNX_BACKBONE_MISMATCH',
      problem: `${owner} has variable '${notFloat[0]}' of dtype ${notFloat[1].dtype}`,
      fix: 'export a backbone with float32 variables',
    });
  }
  const values = await Promise.all(entries.map(([, v]) => v.data() as Promise<Float32Array>));
  return new Map(entries.map(([name, v], i) => [name, { shape: v.shape, values: values[i] }]));
}
