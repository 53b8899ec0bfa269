import { readFile } from 'node:fs/promises';
import { DataError } from './errors';

/** Reads a data file; a missing or unreadable one becomes `DATA_MISSING` with the path and the fix. */
export async function readDataFile(path: string, title: string, fix: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new DataError({
      code: 'DATA_MISSING',
      problem: `${title} file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      fix,
      cause: error,
    });
  }
}
