import { z } from 'zod';
import { mergeConfig, overrideAt, readConfigFile, resolveConfig } from '../config/load';
import type { TrainConfig } from '../config/schema';
import { ConfigError } from '../errors';
import { STUDY_PRESETS, STUDY_PRESET_NAMES } from './presets';

type Json = Record<string, unknown>;

/**
 * A head study: one base run config, arms that each override part of it, and seeds. Every
 * (arm, seed) is a normal run; runs of one seed are paired across arms (same data subset,
 * backbone initialisation, data order and augmentations: all are functions of the seed).
 */
export const studySchema = z
  .object({
    /** Names the study directory (runs/study-<name> unless studyDir is given). */
    name: z.string().regex(/^[\w.-]+$/, 'use letters, digits, ".", "_" or "-"').default('study'),
    /** The run config every arm starts from: any `selfsup train` config, `preset` included. */
    base: z.record(z.string(), z.unknown()).default({}),
    /** Each arm: a name and overrides of the base (nested objects or dotted keys: `objective.scheme: parametric`). */
    arms: z
      .array(
        z
          .object({
            name: z.string().regex(/^[\w.-]+$/, 'use letters, digits, ".", "_" or "-"'),
            set: z.record(z.string(), z.unknown()).default({}),
          })
          .strict(),
      )
      .min(1),
    seeds: z.array(z.number().int()).min(1),
    studyDir: z.string().optional(),
  })
  .strict()
  .refine((s) => new Set(s.arms.map((a) => a.name)).size === s.arms.length, { message: 'arm names must be unique', path: ['arms'] })
  .refine((s) => new Set(s.seeds).size === s.seeds.length, { message: 'seeds must be unique', path: ['seeds'] });

export type StudyConfig = z.output<typeof studySchema>;
export type StudyConfigInput = z.input<typeof studySchema>;

/** `{ 'objective.scheme': 'parametric', head: {...} }` → nested overrides, one per key. */
function expandDotted(set: Json): Json[] {
  return Object.entries(set).map(([key, value]) => overrideAt(key, value));
}

/**
 * Preset ← file ← top-level overrides, validated; `base` (e.g. `--set` flags) is then merged
 * into the study's base run config, so that the study config alone describes every run.
 */
export function resolveStudy({ preset, file, overrides = [], base = [] }: { preset?: string; file?: string; overrides?: Json[]; base?: Json[] }): StudyConfig {
  let input: Json = {};
  if (preset !== undefined) {
    if (!(STUDY_PRESET_NAMES as string[]).includes(preset)) {
      throw new ConfigError({ code: 'STUDY_UNKNOWN_PRESET', problem: `unknown study preset "${preset}"`, fix: `use one of ${STUDY_PRESET_NAMES.join(', ')}` });
    }
    input = structuredClone(STUDY_PRESETS[preset as keyof typeof STUDY_PRESETS]) as Json;
  }
  if (file !== undefined) input = { ...input, ...readConfigFile(file) };
  for (const override of overrides) input = { ...input, ...override };
  const result = studySchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n');
    throw new ConfigError({
      code: 'STUDY_INVALID',
      problem: `invalid study config${file ? ` (${file})` : ''}:\n${lines}`,
      fix: 'correct the fields above (the train README documents the study config)',
    });
  }
  const study = result.data;
  for (const fragment of base) study.base = mergeConfig(study.base, fragment);
  return study;
}

/** One planned (arm, seed) run. */
export interface PlannedRun {
  arm: string;
  seed: number;
  /** Relative to the study directory. */
  relativeDir: string;
  config: TrainConfig;
}

/**
 * Resolves every (arm, seed) run config. Arms must not differ in GradCache chunking: batch norm
 * sees different batches with and without it, so such arms would not be comparable.
 */
export function planStudy(study: StudyConfig, studyDir: string): PlannedRun[] {
  const { preset, ...base } = study.base as Json & { preset?: string };
  const runs: PlannedRun[] = [];
  // Seed-major: a study stopped early still has complete pairs of arms.
  for (const seed of study.seeds) {
    for (const arm of study.arms) {
      const relativeDir = `runs/${arm.name}/seed-${seed}`;
      const config = resolveConfig({
        preset: preset as string | undefined,
        overrides: [base, ...expandDotted(arm.set), { seed, runDir: `${studyDir}/${relativeDir}` }],
      });
      runs.push({ arm: arm.name, seed, relativeDir, config });
    }
  }
  const chunking = new Map(runs.map((r) => [r.arm, r.config.train.chunkSize ?? 'none']));
  if (new Set(chunking.values()).size > 1) {
    throw new ConfigError({
      code: 'STUDY_UNMATCHED_CHUNKS',
      problem: `arms chunk their batches differently (${[...chunking].map(([arm, c]) => `${arm}: ${c}`).join(', ')})`,
      fix: 'set train.chunkSize in the base config only, so that every arm uses the same chunking',
    });
  }
  return runs;
}
