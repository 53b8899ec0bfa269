import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { x as extractTar } from 'tar';
import { downloadFile } from './download';
import { DataError } from './errors';
import type { ProgressCallback } from './progress';

export interface ArchiveSource {
  url: string;
  md5?: string;
  sha256?: string;
}

/**
 * Downloads a verified tar.gz into `workDir`, extracts it there and moves its folder `folder`
 * to `dest` (replacing an unstamped leftover). The archive is deleted afterwards.
 */
export async function fetchArchiveFolder(
  archive: ArchiveSource,
  folder: string,
  dest: string,
  options: { workDir: string; dataset: string; onProgress?: ProgressCallback; fix: string },
): Promise<void> {
  await mkdir(options.workDir, { recursive: true });
  const tmp = await mkdtemp(join(options.workDir, '.fetch-'));
  try {
    const file = join(tmp, archive.url.split('/').pop() || 'archive.tar.gz');
    await downloadFile(archive.url, file, { checksum: archive, dataset: options.dataset, onProgress: options.onProgress, fix: options.fix });
    options.onProgress?.({ dataset: options.dataset, stage: 'extract', file });
    const out = join(tmp, 'x');
    await mkdir(out);
    try {
      await extractTar({ file, cwd: out });
    } catch (error) {
      throw new DataError({ code: 'DATA_BAD_FORMAT', problem: `archive ${archive.url} does not extract: ${(error as Error).message}`, fix: options.fix, cause: error });
    }
    await rm(file, { force: true });
    const extracted = join(out, folder);
    if (!(await stat(extracted).catch(() => null))?.isDirectory()) {
      throw new DataError({ code: 'DATA_BAD_FORMAT', problem: `archive ${archive.url} has no folder ${folder}/`, fix: options.fix });
    }
    await rm(dest, { recursive: true, force: true });
    await rename(extracted, dest);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
