import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailable } from './types';

export const isNode =
  typeof process !== 'undefined' && process.versions != null && process.versions.node != null;

/**
 * Imports an optional peer by name. The specifier is a variable so that browser bundlers do
 * not try to resolve packages the user never installed.
 */
export async function importOptional(packageName: string): Promise<unknown> {
  try {
    return await import(/* webpackIgnore: true */ /* @vite-ignore */ packageName);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = error instanceof Error ? error.message : String(error);
    // Node sets a code; bundlers and test runners (vite) only say it in words.
    const notFound =
      code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      /cannot find (module|package)|could not resolve|failed to resolve/i.test(message);
    // `@scope/name/subpath` is reported missing as `@scope/name`.
    const bare = packageName.split('/').slice(0, packageName.startsWith('@') ? 2 : 1).join('/');
    const missing = notFound && message.includes(bare);
    if (missing) throw new BackendUnavailable(`${bare} is not installed`, bare);
    throw new BackendUnavailable(`${packageName} failed to load (${firstLine(message)})`);
  }
}

/** Registers a backend package unless it is already registered (e.g. imported by the user). */
export async function ensureRegistered(tfBackend: string, packageName: string): Promise<void> {
  if (tf.findBackendFactory(tfBackend) != null) return;
  await importOptional(packageName);
  if (tf.findBackendFactory(tfBackend) == null) throw registeredElsewhere(packageName);
}

/** A backend package that loaded but put what it registers into another copy of tfjs-core. */
export function registeredElsewhere(packageName: string): BackendUnavailable {
  return new BackendUnavailable(
    `${packageName} loaded but registered with another copy of @tensorflow/tfjs-core ` +
      `(install the same version of both so that one copy is shared)`,
  );
}

/** Makes `tfBackend` current and checks that tfjs did not silently fall back to another one. */
export async function activate(tfBackend: string): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(tfBackend);
    await tf.ready();
  } catch (error) {
    throw new BackendUnavailable(`initialisation failed (${firstLine(String(error))})`);
  }
  if (!ok || tf.getBackend() !== tfBackend) {
    throw new BackendUnavailable(`initialisation failed (tfjs is on '${tf.getBackend()}' instead)`);
  }
}

export function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 200);
}
