import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DataError } from './errors';

export type HashAlgorithm = 'md5' | 'sha256';

/** An expected digest: `sha256` preferred; `md5` where the publisher only gives that. */
export interface Checksum {
  sha256?: string;
  md5?: string;
}

export function hashBytes(data: Uint8Array, algorithm: HashAlgorithm = 'sha256'): string {
  return createHash(algorithm).update(data).digest('hex');
}

/** Streams a file through the hash, so multi-GB files never sit in memory twice. */
export async function hashFile(path: string, algorithm: HashAlgorithm = 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The algorithm and digest to check, sha256 first. */
export function pickDigest(expected: Checksum): { algorithm: HashAlgorithm; digest: string } | null {
  if (expected.sha256) return { algorithm: 'sha256', digest: expected.sha256.toLowerCase() };
  if (expected.md5) return { algorithm: 'md5', digest: expected.md5.toLowerCase() };
  return null;
}

/** Throws `DATA_CHECKSUM_MISMATCH` naming the file, both digests and the fix. */
export function checksumMismatch(file: string, algorithm: HashAlgorithm, expected: string, actual: string, fix: string): DataError {
  return new DataError({
    code: 'DATA_CHECKSUM_MISMATCH',
    problem: `${file} has ${algorithm} ${actual}, expected ${expected} (the file is corrupted or not the pinned version)`,
    fix,
  });
}
