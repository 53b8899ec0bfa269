import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { PRESET_NAMES, PRESETS, type PresetName } from './presets';
import { configSchema, type TrainConfig, type TrainConfigInput } from './schema';

type Json = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Deep merge: objects merge key by key, anything else (arrays included) replaces. */
export function mergeConfig(base: Json, override: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeConfig(out[key] as Json, value) : value;
  }
  return out;
}

/** `('train.epochs', 3)` → `{ train: { epochs: 3 } }`: one field as a config fragment. */
export function overrideAt(path: string, value: unknown): Json {
  return path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Json;
}

/** `train.epochs=3` → `{ train: { epochs: 3 } }`; values parse as JSON when they can. */
export function parseOverride(assignment: string): Json {
  const eq = assignment.indexOf('=');
  if (eq <= 0) {
    throw new ConfigError({
      code: 'CONFIG_BAD_OVERRIDE',
      problem: `override "${assignment}" is not of the form key.path=value`,
      fix: 'write e.g. --set train.epochs=3 or --set head.dims=[512,128]',
    });
  }
  const path = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // A bare word such as `sgd` stays a string.
  }
  return overrideAt(path, value);
}

/** Reads a JSON or YAML config file. */
export function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError({
      code: 'CONFIG_FILE_MISSING',
      problem: `cannot read config file ${file} (${(error as NodeJS.ErrnoException).code ?? error})`,
      fix: 'check the path, or start from a preset: selfsup train --preset quick',
    });
  }
  try {
    const parsed = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
    if (!isPlainObject(parsed)) throw new Error('the top level is not a mapping');
    return parsed;
  } catch (error) {
    throw new ConfigError({
      code: 'CONFIG_FILE_SYNTAX',
      problem: `config file ${file} does not parse (${(error as Error).message.split('\n')[0]})`,
      fix: 'fix the syntax (JSON for .json files, YAML otherwise)',
    });
  }
}

export interface ResolveConfigOptions {
  preset?: string;
  file?: string;
  /** Later entries win. */
  overrides?: Json[];
}

/** Preset ← file ← overrides, then validation. Throws one ConfigError listing every bad field. */
export function resolveConfig({ preset, file, overrides = [] }: ResolveConfigOptions = {}): TrainConfig {
  let merged: Json = {};
  const fromFile = file ? readConfigFile(file) : {};
  const presetName = preset ?? (typeof fromFile.preset === 'string' ? fromFile.preset : undefined);
  if (presetName !== undefined) {
    if (!(PRESET_NAMES as string[]).includes(presetName)) {
      throw new ConfigError({
        code: 'CONFIG_UNKNOWN_PRESET',
        problem: `unknown preset "${presetName}"`,
        fix: `use one of ${PRESET_NAMES.join(', ')}`,
      });
    }
    merged = mergeConfig(PRESETS[presetName as PresetName] as Json, { preset: presetName });
  }
  merged = mergeConfig(merged, fromFile);
  for (const override of overrides) merged = mergeConfig(merged, override);
  const sources = [presetName && `preset ${presetName}`, file, overrides.length > 0 && 'command-line overrides'].filter(Boolean);
  return validateConfig(merged as TrainConfigInput, sources.join(' + ') || undefined);
}

export function validateConfig(input: TrainConfigInput, source?: string): TrainConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError({
    code: 'CONFIG_INVALID',
    problem: `invalid config${source ? ` (${source})` : ''}:\n${formatIssues(result.error.issues)}`,
    fix: 'correct the fields above (selfsup train --help lists the options; --print-config shows the resolved config)',
  });
}

function formatIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.length ? issue.path.join('.') : '(top level)';
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `  - ${path}: ${issue.message}${keys}`;
    })
    .join('\n');
}
