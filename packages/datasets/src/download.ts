import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { partialPath } from './atomic';
import { type Checksum, checksumMismatch, pickDigest } from './checksum';
import { DataError, formatBytes } from './errors';
import type { ProgressCallback } from './progress';

export interface DownloadOptions {
  /** The digest the file must have; a download without one is refused. */
  checksum: Checksum;
  /** Dataset name for progress events and messages. */
  dataset?: string;
  onProgress?: ProgressCallback;
  /** What to tell the user on failure (e.g. a mirror option). */
  fix?: string;
}

/**
 * Downloads `url` to `dest`: bytes go to a `.partial` file beside it, hashed on the way; only a
 * complete transfer with the expected digest is renamed to `dest`. A failed, interrupted or
 * mismatched transfer deletes its partial file, so nothing untrusted is ever left under `dest`'s
 * name. Returns the sha256 of the file.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<string> {
  const expected = pickDigest(options.checksum);
  if (!expected) {
    throw new DataError({
      code: 'DATA_CHECKSUM_MISMATCH',
      problem: `no checksum given for ${url}`,
      fix: 'pass the md5 or sha256 the publisher gives for this file',
    });
  }
  const dataset = options.dataset ?? 'dataset';
  const fix = options.fix ?? `check your network or mirror and rerun; or place the file at ${dest} yourself`;
  await mkdir(dirname(dest), { recursive: true });
  const tmp = partialPath(dest);
  const hash = createHash(expected.algorithm);
  const sha256 = expected.algorithm === 'sha256' ? hash : createHash('sha256');
  let received = 0;
  let total: number | undefined;
  try {
    let response: Response;
    try {
      response = await fetch(url, { redirect: 'follow' });
    } catch (error) {
      throw new DataError({ code: 'DATA_DOWNLOAD_FAILED', problem: `cannot reach ${url} (${describe(error)})`, fix, cause: error });
    }
    if (!response.ok || !response.body) {
      throw new DataError({ code: 'DATA_DOWNLOAD_FAILED', problem: `${url} answered HTTP ${response.status}`, fix });
    }
    const length = Number(response.headers.get('content-length'));
    total = Number.isFinite(length) && length > 0 ? length : undefined;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        if (sha256 !== hash) sha256.update(chunk);
        received += chunk.length;
        options.onProgress?.({ dataset, stage: 'download', file: url, done: received, total });
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), meter, createWriteStream(tmp));
    } catch (error) {
      throw new DataError({
        code: 'DATA_DOWNLOAD_FAILED',
        problem: `download of ${url} broke off after ${formatBytes(received)}${total ? ` of ${formatBytes(total)}` : ''} bytes (${describe(error)})`,
        fix: `rerun to start it again; ${fix}`,
        cause: error,
      });
    }
    if (total !== undefined && received !== total) {
      throw new DataError({
        code: 'DATA_DOWNLOAD_FAILED',
        problem: `download of ${url} ended after ${formatBytes(received)} of ${formatBytes(total)} bytes`,
        fix: `rerun to start it again; ${fix}`,
      });
    }
    const actual = hash.digest('hex');
    if (actual !== expected.digest) {
      throw checksumMismatch(url, expected.algorithm, expected.digest, actual, `rerun to download it again; if it persists the mirror serves another file: ${fix}`);
    }
    await rename(tmp, dest);
    return expected.algorithm === 'sha256' ? actual : sha256.digest('hex');
  } finally {
    await rm(tmp, { force: true });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
