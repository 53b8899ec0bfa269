import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAMP_FILE, datasetPath } from '@selfsup/datasets/cache';
import type { TrainConfig } from '../config/schema';
import type { PlannedRun } from '../study/config';
import { packageVersions } from '../versions';

/**
 * Everything that determines a run's numbers, and nothing that does not (where it writes, which
 * backend runs it: a worker picks its own). Its hash is the run's id, so submitting the same
 * run twice, or retrying it, is the same job.
 */
export interface RunSpec {
  format: 'selfsup-run-spec/1';
  config: Omit<TrainConfig, 'runDir' | 'backend'>;
  seed: number;
  datasetChecksum: string;
  versions: Record<string, string>;
}

/** JSON with object keys sorted at every level: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function runSpecOf(config: TrainConfig, datasetChecksum: string): RunSpec {
  const { runDir: _runDir, backend: _backend, ...rest } = config;
  return { format: 'selfsup-run-spec/1', config: rest, seed: config.seed, datasetChecksum, versions: packageVersions() };
}

/** `run-` + the first 24 hex digits of the spec's sha256. */
export function runIdOf(spec: RunSpec): string {
  return `run-${createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 24)}`;
}

/**
 * The checksum of the data a config trains on: of the verified files of a named dataset's cache
 * (their pinned sha256, from the cache's stamp), or of an image folder's path. Call after the
 * dataset is fetched (`loadDatasets` / `fetchDataset`).
 */
export function datasetChecksumOf(config: TrainConfig): string {
  const hash = createHash('sha256');
  if (config.data.name === 'folder') {
    hash.update(`folder:${config.data.path}`);
  } else {
    const stampFile = join(datasetPath(config.data.name, { cacheDir: config.data.cacheDir }), STAMP_FILE);
    if (!existsSync(stampFile)) throw new Error(`${config.data.name} is not in the cache yet (${stampFile}): fetch it first`);
    const files = (JSON.parse(readFileSync(stampFile, 'utf8')) as { files: Record<string, { sha256: string }> }).files;
    for (const name of Object.keys(files).sort()) hash.update(`${name}:${files[name].sha256}\n`);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** The queued form of one planned run. */
export interface RunJob {
  id: string;
  spec: RunSpec;
  study: string;
  arm: string;
  /** Relative to the run root every worker sees. */
  relativeDir: string;
}

export function runJobOf(study: string, run: PlannedRun, datasetChecksum: string): RunJob {
  const spec = runSpecOf(run.config, datasetChecksum);
  return { id: runIdOf(spec), spec, study, arm: run.arm, relativeDir: run.relativeDir };
}
