import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FetchOptions, Source } from '../acquire';
import { fetchArchiveFolder } from '../archive';
import { writeFileAtomic } from '../atomic';
import { hashBytes } from '../checksum';
import { downloadFile } from '../download';
import { DataError } from '../errors';

/** `https://host/dir/file` with the folder replaced by `options.mirror.baseUrl`, if given. */
function officialUrl(url: string, options: FetchOptions): string {
  if (!options.mirror) return url;
  const name = url.slice(url.lastIndexOf('/') + 1);
  return `${options.mirror.baseUrl.replace(/\/+$/, '')}/${name}`;
}

function officialMd5(url: string, md5: string, options: FetchOptions): string {
  const name = url.slice(url.lastIndexOf('/') + 1);
  return options.mirror?.md5?.[name] ?? md5;
}

/** A publisher's tar.gz, verified by its published md5, whose folder `folder` becomes the dataset folder. */
export function archiveSource(url: string, md5: string, folder: string): Source {
  return {
    name: 'official',
    label: (options) => officialUrl(url, options),
    async fetch(dest, { options, workDir, dataset, fix, onProgress }) {
      const archive = { url: officialUrl(url, options), md5: officialMd5(url, md5, options) };
      await fetchArchiveFolder(archive, folder, dest, { workDir, dataset, onProgress, fix });
      return {};
    },
  };
}

/** Gzipped files verified by their published md5 and stored decompressed (MNIST, Fashion-MNIST). */
export function gzipFilesSource(baseUrl: string, files: readonly { name: string; md5: string }[]): Source {
  return {
    name: 'official',
    label: (options) => officialUrl(`${baseUrl}/x`, options).replace(/\/x$/, '/'),
    async fetch(dest, { options, dataset, fix, onProgress }) {
      const hashes: Record<string, string> = {};
      for (const file of files) {
        const url = officialUrl(`${baseUrl}/${file.name}.gz`, options);
        const gz = join(dest, `${file.name}.gz`);
        await downloadFile(url, gz, { checksum: { md5: officialMd5(url, file.md5, options) }, dataset, onProgress, fix });
        let raw: Uint8Array;
        try {
          raw = gunzipSync(await readFile(gz));
        } catch (error) {
          throw new DataError({ code: 'DATA_BAD_FORMAT', problem: `${url} passed its md5 but does not gunzip: ${(error as Error).message}`, fix, cause: error });
        } finally {
          await rm(gz, { force: true });
        }
        await writeFileAtomic(join(dest, file.name), raw);
        hashes[file.name] = hashBytes(raw);
      }
      return hashes;
    },
  };
}
