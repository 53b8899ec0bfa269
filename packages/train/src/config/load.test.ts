import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors';
import { mergeConfig, parseOverride, resolveConfig } from './load';
import { PRESET_NAMES } from './presets';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('resolveConfig', () => {
  it('resolves every preset to a valid config', () => {
    for (const preset of PRESET_NAMES) {
      const config = resolveConfig({ preset });
      expect(config.preset).toBe(preset);
      expect(config.train.batchSize).toBeGreaterThan(0);
    }
    expect(resolveConfig({ preset: 'cifar10-parametric' }).objective.scheme).toBe('parametric');
    expect(resolveConfig({ preset: 'cifar10-simclr' }).objective.scheme).toBe('joint');
  });

  it('layers preset ← YAML/JSON file ← overrides', () => {
    const yaml = file('run.yaml', 'preset: quick\ntrain:\n  epochs: 2\noptimizer:\n  lr: 0.1\n');
    const config = resolveConfig({ file: yaml, overrides: [parseOverride('train.epochs=7'), parseOverride('optimizer.name=adamw')] });
    expect(config.preset).toBe('quick');
    expect(config.train.epochs).toBe(7);
    expect(config.optimizer).toMatchObject({ name: 'adamw', lr: 0.1 });
    expect(config.model.backbone).toBe('small-convnet'); // from the preset
    const json = file('run.json', JSON.stringify({ head: { dims: [64, 32] } }));
    expect(resolveConfig({ preset: 'quick', file: json }).head.dims).toEqual([64, 32]);
  });

  it('points at every bad field in one error', () => {
    const bad = file('bad.yaml', 'train:\n  epochs: -1\n  batchsize: 8\noptimizer:\n  name: rmsprop\n');
    try {
      resolveConfig({ file: bad });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain(`invalid config (${bad}):`);
      expect(message).toMatch(/train\.epochs: .*>0/);
      expect(message).toMatch(/train: .*batchsize/);
      expect(message).toMatch(/optimizer\.name: .*"sgd"/);
    }
  });

  it('names the fix for unknown presets, missing files, bad syntax and bad overrides', () => {
    expect(() => resolveConfig({ preset: 'cifar11' })).toThrow(/unknown preset "cifar11": use one of cifar10-simclr/);
    expect(() => resolveConfig({ file: join(dir, 'nope.yaml') })).toThrow(/cannot read config file .*ENOENT/);
    expect(() => resolveConfig({ file: file('broken.json', '{"a": ') })).toThrow(/does not parse/);
    expect(() => parseOverride('epochs')).toThrow(/key.path=value/);
    expect(() => resolveConfig({ overrides: [{ data: { name: 'folder' } }] })).toThrow(/data\.path: .*needs data\.path/);
  });
});

describe('helpers', () => {
  it('merges objects deeply and replaces arrays', () => {
    expect(mergeConfig({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] }, d: 1 });
  });
  it('parses override values as JSON when possible', () => {
    expect(parseOverride('head.dims=[512,128]')).toEqual({ head: { dims: [512, 128] } });
    expect(parseOverride('optimizer.name=sgd')).toEqual({ optimizer: { name: 'sgd' } });
    expect(parseOverride('eval.report=false')).toEqual({ eval: { report: false } });
  });
});
