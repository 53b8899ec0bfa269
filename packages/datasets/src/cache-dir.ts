import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface CacheOptions {
  /** Where datasets live. Default: `$SELFSUP_CACHE_DIR`, else `~/.cache/selfsup`. */
  cacheDir?: string;
}

/** The cache root: option, then `SELFSUP_CACHE_DIR`, then `~/.cache/selfsup`. */
export function resolveCacheDir(options: CacheOptions = {}): string {
  if (options.cacheDir) return resolve(options.cacheDir);
  const fromEnv = process.env.SELFSUP_CACHE_DIR;
  if (fromEnv) return resolve(fromEnv);
  return join(homedir(), '.cache', 'selfsup');
}
