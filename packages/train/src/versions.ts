import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** This package's root: src/ and dist/ both sit one level below it. */
function packageRoot(): string | undefined {
  try {
    return join(new URL(import.meta.url).pathname, '..', '..');
  } catch {
    return undefined; // a bundle without import.meta: versions are then partly unknown
  }
}

function versionAt(file: string): string | undefined {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')).version as string) : undefined;
  } catch {
    return undefined;
  }
}

/** Versions of @selfsup/train, the tfjs packages beside it, and the tfjs-core actually loaded. */
export function packageVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  const root = packageRoot();
  if (root) {
    const own = versionAt(join(root, 'package.json'));
    if (own) versions['@selfsup/train'] = own;
    for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm']) {
      const version = versionAt(join(root, 'node_modules', name, 'package.json'));
      if (version) versions[name] = version;
    }
  }
  versions['@tensorflow/tfjs-core (loaded)'] = tf.version_core;
  return versions;
}
