import type { Backbone } from '@selfsup/backbones';
import { OnnxError } from './errors';
import { float, ints, int, type GraphBuilder } from './graph-builder';

/** What the exporter reads from a backbone's `spec`, normalised (standard ResNets spelled out). */
export type ExportSpec =
  | {
      kind: 'resnet';
      /** The spec's kind, e.g. `resnet18` or `resnet`. */
      label: string;
      block: 'basic' | 'bottleneck';
      layers: readonly number[];
      stem: 'cifar' | 'imagenet';
      width: number;
      inChannels: number;
      bnEpsilon: number;
    }
  | { kind: 'small-convnet'; label: string; widths: readonly number[]; inChannels: number; bnEpsilon: number };

/** A variable's value as read from tfjs. */
export interface VariableData {
  shape: readonly number[];
  values: Float32Array;
}

/** torchvision's standard ResNets (as in @selfsup/backbones' STANDARD_RESNETS). */
const STANDARD_RESNETS: Record<string, { block: 'basic' | 'bottleneck'; layers: number[] }> = {
  resnet18: { block: 'basic', layers: [2, 2, 2, 2] },
  resnet34: { block: 'basic', layers: [3, 4, 6, 3] },
  resnet50: { block: 'bottleneck', layers: [3, 4, 6, 3] },
};

const EXPANSION = { basic: 1, bottleneck: 4 } as const;

export const SUPPORTED =
  "@selfsup/backbones' resnet18, resnet34, resnet50, resnet({ block, layers, ... }) (stem 'cifar' or 'imagenet', any width) and smallConvnet";

/**
 * Reads `backbone.spec` (which our backbones carry and a user's own backbone does not). Throws
 * `ONNX_UNSUPPORTED_BACKBONE` naming what is supported when there is none or it is not one
 * this exporter knows.
 */
export function readSpec(backbone: Backbone): ExportSpec {
  const name = describe(backbone);
  const unsupported = (problem: string) =>
    new OnnxError({
      code: 'ONNX_UNSUPPORTED_BACKBONE',
      problem: `exportOnnx() got ${name}, ${problem}`,
      fix: `export one of ${SUPPORTED}; a backbone of your own needs its own exporter (e.g. torch.onnx.export of a PyTorch twin)`,
    });
  if (typeof backbone !== 'object' || backbone === null || typeof backbone.namedVariables !== 'function') {
    throw unsupported('which is not a Backbone (no namedVariables())');
  }
  const spec: unknown = (backbone as { spec?: unknown }).spec;
  if (typeof spec !== 'object' || spec === null) {
    throw unsupported('which has no spec (not one of the backbones the exporter knows)');
  }
  const s = spec as Record<string, unknown>;
  const kind = s.kind;
  const resnetKind = kind === 'resnet' || (typeof kind === 'string' && Object.hasOwn(STANDARD_RESNETS, kind));
  if (kind !== 'small-convnet' && !resnetKind) {
    throw unsupported(`whose spec has kind ${JSON.stringify(kind)}, which this exporter does not know`);
  }
  const field = (key: string, ok: (v: unknown) => boolean) => {
    if (!ok(s[key])) throw unsupported(`whose ${String(kind)} spec has ${key} = ${JSON.stringify(s[key])}`);
    return s[key];
  };
  const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const counts = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((n) => Number.isInteger(n) && n > 0);
  const common = {
    label: String(kind),
    inChannels: field('inChannels', (v) => Number.isInteger(v) && (v as number) > 0) as number,
    bnEpsilon: field('bnEpsilon', positive) as number,
  };
  if (kind === 'small-convnet') {
    return { kind, ...common, widths: [...(field('widths', counts) as number[])] };
  }
  const arch =
    kind === 'resnet'
      ? {
          block: field('block', (v) => v === 'basic' || v === 'bottleneck') as 'basic' | 'bottleneck',
          layers: [...(field('layers', (v) => counts(v) && (v as number[]).length === 4) as number[])],
        }
      : STANDARD_RESNETS[kind as string];
  return {
    kind: 'resnet',
    ...common,
    ...arch,
    stem: field('stem', (v) => v === 'cifar' || v === 'imagenet') as 'cifar' | 'imagenet',
    width: field('width', positive) as number,
  };
}

/** The names of a spec's taps, in forward order, as its backbone's `tapNames` must read. */
export function expectedTapNames(spec: ExportSpec): string[] {
  return spec.kind === 'resnet' ? ['layer1', 'layer2', 'layer3', 'layer4'] : spec.widths.map((_, i) => `stage${i + 1}`);
}

function describe(backbone: unknown): string {
  const name = (backbone as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? `backbone '${name}'` : `${backbone === null ? 'null' : typeof backbone}`;
}

/** A value in the graph being built, with its channel count. */
interface Value {
  name: string;
  channels: number;
}

export interface BackboneGraph {
  /** Each stage's output (NCHW) with its channel count, in order. */
  stages: Value[];
}

/**
 * Emits a backbone's layers into `g`, from the NCHW value `input` to each stage's output, taking
 * every weight from `variables` by its PyTorch name. Throws `ONNX_BACKBONE_MISMATCH` when a
 * variable is missing, has the wrong shape, or is left over, and `ONNX_BAD_OPTION` when a fixed
 * `imageSize` shrinks to nothing.
 */
export function emitBackbone(
  g: GraphBuilder,
  input: string,
  spec: ExportSpec,
  variables: ReadonlyMap<string, VariableData>,
  owner: string,
  imageSize: readonly [number, number] | undefined,
): BackboneGraph {
  const e = new Emitter(g, spec, variables, owner, imageSize);
  const x: Value = { name: input, channels: spec.inChannels };
  const stages = spec.kind === 'resnet' ? e.resnet(x, spec) : e.smallConvnet(x, spec.widths);
  e.assertAllUsed();
  return { stages };
}

class Emitter {
  private readonly used = new Set<string>();
  private size: [number, number] | undefined;

  constructor(
    private readonly g: GraphBuilder,
    private readonly spec: ExportSpec,
    private readonly variables: ReadonlyMap<string, VariableData>,
    private readonly owner: string,
    imageSize: readonly [number, number] | undefined,
  ) {
    this.size = imageSize ? [imageSize[0], imageSize[1]] : undefined;
  }

  resnet(input: Value, spec: Extract<ExportSpec, { kind: 'resnet' }>): Value[] {
    const stemKernel = spec.stem === 'cifar' ? 3 : 7;
    const inplanes = Math.round(64 * spec.width);
    let x = this.convBn(input, 'conv1', 'bn1', stemKernel, inplanes, spec.stem === 'cifar' ? 1 : 2);
    x = this.relu(x, 'relu');
    if (spec.stem === 'imagenet') x = this.maxPool(x, 3, 2, 1, 'maxpool');
    const expansion = EXPANSION[spec.block];
    return spec.layers.map((count, s) => {
      const planes = Math.round(64 * 2 ** s * spec.width);
      for (let b = 0; b < count; b++) {
        const stride = b === 0 && s > 0 ? 2 : 1;
        const p = `layer${s + 1}.${b}`;
        let h: Value;
        if (spec.block === 'basic') {
          h = this.relu(this.convBn(x, `${p}.conv1`, `${p}.bn1`, 3, planes, stride), `${p}.relu1`);
          h = this.convBn(h, `${p}.conv2`, `${p}.bn2`, 3, planes, 1);
        } else {
          h = this.relu(this.convBn(x, `${p}.conv1`, `${p}.bn1`, 1, planes, 1), `${p}.relu1`);
          h = this.relu(this.convBn(h, `${p}.conv2`, `${p}.bn2`, 3, planes, stride), `${p}.relu2`);
          h = this.convBn(h, `${p}.conv3`, `${p}.bn3`, 1, planes * expansion, 1);
        }
        // torchvision's rule for a projection shortcut; its size change is the main path's.
        const identity =
          stride !== 1 || x.channels !== planes * expansion
            ? this.convBn(x, `${p}.downsample.0`, `${p}.downsample.1`, 1, planes * expansion, stride, false)
            : x;
        const sum = this.g.node('Add', [h.name, identity.name], `${p}.add`);
        x = { name: this.g.node('Relu', [sum], p), channels: h.channels };
      }
      return x;
    });
  }

  smallConvnet(input: Value, widths: readonly number[]): Value[] {
    let x = input;
    return widths.map((width, i) => {
      const stage = `stage${i + 1}`;
      x = this.relu(this.convBn(x, `${stage}.conv`, `${stage}.bn`, 3, width, 1), `${stage}.relu`);
      const out = x;
      if (i < widths.length - 1) x = this.maxPool(x, 2, 2, 0, `${stage}.maxpool`);
      return out;
    });
  }

  /** A bias-free conv (PyTorch's symmetric padding (k − 1)/2) followed by eval-mode batch norm. */
  private convBn(x: Value, convName: string, bnName: string, kernel: number, out: number, stride: number, mainPath = true): Value {
    const w = this.take(`${convName}.weight`, [kernel, kernel, x.channels, out]);
    const weight = this.g.constant(`${convName}.weight`, [out, x.channels, kernel, kernel], hwioToOihw(w));
    const pad = (kernel - 1) / 2;
    if (mainPath) this.shrink(kernel, stride, pad, convName);
    const conv = this.g.node('Conv', [x.name, weight], convName, [
      ints('kernel_shape', [kernel, kernel]),
      ints('strides', [stride, stride]),
      ints('pads', [pad, pad, pad, pad]),
    ]);
    const params = ['weight', 'bias', 'running_mean', 'running_var'].map((param) => {
      const name = `${bnName}.${param}`;
      return this.g.constant(name, [out], this.take(name, [out]).values);
    });
    const bn = this.g.node('BatchNormalization', [conv, ...params], bnName, [float('epsilon', this.spec.bnEpsilon)]);
    return { name: bn, channels: out };
  }

  private relu(x: Value, name: string): Value {
    return { name: this.g.node('Relu', [x.name], name), channels: x.channels };
  }

  private maxPool(x: Value, kernel: number, stride: number, pad: number, name: string): Value {
    this.shrink(kernel, stride, pad, name);
    const attrs = [ints('kernel_shape', [kernel, kernel]), ints('strides', [stride, stride]), ints('pads', [pad, pad, pad, pad])];
    return { name: this.g.node('MaxPool', [x.name], name, attrs), channels: x.channels };
  }

  /** Follows a fixed image size through a conv or pool (floor, as PyTorch and tfjs). */
  private shrink(kernel: number, stride: number, pad: number, where: string): void {
    if (!this.size) return;
    const before = this.size;
    this.size = [0, 1].map((d) => Math.floor((before[d] + 2 * pad - kernel) / stride) + 1) as [number, number];
    if (this.size[0] < 1 || this.size[1] < 1) {
      throw new OnnxError({
        code: 'ONNX_BAD_OPTION',
        problem: `exportOnnx() got an imageSize too small for ${this.owner}: ${where} (kernel ${kernel}, stride ${stride}) gets a ${before.join('×')} feature map`,
        fix: 'pass a larger imageSize, or leave it out for dynamic height and width',
      });
    }
  }

  private take(name: string, shape: readonly number[]): VariableData {
    const v = this.variables.get(name);
    if (!v || v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
      throw new OnnxError({
        code: 'ONNX_BACKBONE_MISMATCH',
        problem: `${this.owner} has a ${this.spec.label} spec, which needs variable '${name}' of shape [${shape.join(', ')}], but it has ${v ? `shape [${v.shape.join(', ')}]` : 'no such variable'}`,
        fix: 'export a backbone built by @selfsup/backbones (or loadBackbone), whose variables match its spec',
      });
    }
    this.used.add(name);
    return v;
  }

  assertAllUsed(): void {
    const extra = [...this.variables.keys()].filter((name) => !this.used.has(name));
    if (extra.length > 0) {
      throw new OnnxError({
        code: 'ONNX_BACKBONE_MISMATCH',
        problem: `${this.owner} has variable(s) ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''} that its ${this.spec.label} spec has no place for`,
        fix: 'export a backbone built by @selfsup/backbones (or loadBackbone), whose variables match its spec',
      });
    }
  }
}

/** Global average pool + flatten: NCHW `x` → `[batch, channels]` named `output`. */
export function emitPool(g: GraphBuilder, x: string, output: string): string {
  const pooled = g.node('GlobalAveragePool', [x], `${output}.gap`);
  return g.node('Flatten', [pooled], output, [int('axis', 1)]);
}

/** tfjs' conv filter layout [kH, kW, in, out] → ONNX's/PyTorch's [out, in, kH, kW]. */
function hwioToOihw({ shape, values }: VariableData): Float32Array {
  const [kh, kw, cin, cout] = shape;
  const out = new Float32Array(values.length);
  for (let h = 0; h < kh; h++) {
    for (let w = 0; w < kw; w++) {
      for (let i = 0; i < cin; i++) {
        const src = ((h * kw + w) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + h) * kw + w] = values[src + o];
      }
    }
  }
  return out;
}
