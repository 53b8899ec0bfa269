import type { Rng } from '@selfsup/core';
import { BackboneError } from './errors';
import { ResNet, STANDARD_RESNETS, type BlockKind } from './resnet';
import { SmallConvnet } from './small-convnet';

/** The batch-norm and input options every one of our backbones records. */
interface CommonSpec {
  /** PyTorch batch-norm momentum. */
  bnMomentum: number;
  /** Batch-norm epsilon. */
  bnEpsilon: number;
  /** Input channels. */
  inChannels: number;
}

/** `resnet18/34/50(options)`, every option spelled out (the rng is never recorded). */
export interface StandardResNetSpec extends CommonSpec {
  kind: 'resnet18' | 'resnet34' | 'resnet50';
  stem: 'cifar' | 'imagenet';
  width: number;
  zeroInitResidual: boolean;
}

/** `resnet({ block, layers, name, ...options })`: any ResNet of torchvision's layout. */
export interface CustomResNetSpec extends Omit<StandardResNetSpec, 'kind'> {
  kind: 'resnet';
  block: BlockKind;
  layers: [number, number, number, number];
  name: string;
}

/** `smallConvnet(options)`. */
export interface SmallConvnetSpec extends CommonSpec {
  kind: 'small-convnet';
  widths: number[];
}

/**
 * Everything needed to rebuild one of our backbones: its kind and every constructor option
 * except the rng (the weights replace the initialisation anyway). Plain JSON: `saveWeights`
 * records it in `model.json` and `loadBackbone` rebuilds the backbone from it.
 */
export type BackboneSpec = StandardResNetSpec | CustomResNetSpec | SmallConvnetSpec;

/** The backbones `buildBackbone` and `loadBackbone` return. */
export type BuiltBackbone = ResNet | SmallConvnet;

const KINDS = ['resnet18', 'resnet34', 'resnet50', 'resnet', 'small-convnet'] as const;

/**
 * Builds the backbone a spec describes, e.g. `buildBackbone(net.spec)` for a fresh copy of
 * `net`'s architecture (`rng` seeds the initialisation, default `createRng(0)`). Throws a
 * `BackboneError` naming the field when `spec` is not one this version can build.
 */
export function buildBackbone(spec: BackboneSpec, options: { rng?: Rng } = {}): BuiltBackbone {
  const checked = checkSpec(spec, 'buildBackbone() got a spec that');
  const withRng = options.rng ? { rng: options.rng } : {};
  switch (checked.kind) {
    case 'small-convnet': {
      const { kind: _kind, ...options } = checked;
      return new SmallConvnet({ ...options, ...withRng });
    }
    case 'resnet': {
      const { kind: _kind, block, layers, name, ...options } = checked;
      return new ResNet(name, { block, layers }, { ...options, ...withRng });
    }
    default: {
      const { kind, ...options } = checked;
      return new ResNet(kind, STANDARD_RESNETS[kind], { ...options, ...withRng });
    }
  }
}

/** Checks that `value` is a spec this version can build: known kind, every field, no others. */
export function checkSpec(value: unknown, where: string): BackboneSpec {
  const bad = (problem: string, fix: string) => new BackboneError({ code: 'BACKBONE_BAD_SPEC', problem: `${where} ${problem}`, fix });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(`is ${JSON.stringify(value)}, not an object`, `pass an object such as { kind: 'resnet18', stem: 'cifar', ... } (a backbone's .spec)`);
  }
  const spec = value as Record<string, unknown>;
  const kind = spec.kind;
  if (!KINDS.includes(kind as (typeof KINDS)[number])) {
    throw bad(
      `has kind ${JSON.stringify(kind)}`,
      `use one of ${KINDS.join(', ')}; weights written by a newer @selfsup/backbones need that version to load`,
    );
  }
  const fields: Record<string, (v: unknown) => boolean> = {
    kind: () => true,
    bnMomentum: isNumber,
    bnEpsilon: isNumber,
    inChannels: isNumber,
  };
  if (kind === 'small-convnet') {
    fields.widths = (v) => Array.isArray(v) && v.every(isNumber);
  } else {
    fields.stem = (v) => typeof v === 'string';
    fields.width = isNumber;
    fields.zeroInitResidual = (v) => typeof v === 'boolean';
    if (kind === 'resnet') {
      fields.block = (v) => v === 'basic' || v === 'bottleneck';
      fields.layers = (v) => Array.isArray(v) && v.length === 4 && v.every(isNumber);
      fields.name = (v) => typeof v === 'string';
    }
  }
  for (const [field, ok] of Object.entries(fields)) {
    if (!(field in spec) || !ok(spec[field])) {
      throw bad(
        `has ${field} = ${JSON.stringify(spec[field])}`,
        `give a ${String(kind)} spec every field: ${Object.keys(fields).join(', ')} (see BackboneSpec)`,
      );
    }
  }
  const extra = Object.keys(spec).filter((field) => !(field in fields));
  if (extra.length > 0) {
    throw bad(
      `has field(s) ${extra.join(', ')} that a ${String(kind)} does not take`,
      'remove them; weights written by a newer @selfsup/backbones need that version to load',
    );
  }
  return spec as unknown as BackboneSpec;
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
