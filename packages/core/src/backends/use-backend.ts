import { BackendError } from '../errors';
import { cpuLoader } from './cpu';
import { tensorflowCpuLoader, tensorflowGpuLoader } from './tensorflow';
import {
  BACKEND_NAMES,
  type BackendLoader,
  type BackendName,
  type BackendSelection,
  BackendUnavailable,
  type SkippedBackend,
  type UseBackendOptions,
} from './types';
import { wasmLoader } from './wasm';
import { webgpuLoader } from './webgpu';

const LOADERS: Record<BackendName, BackendLoader> = {
  'tensorflow-gpu': tensorflowGpuLoader,
  tensorflow: tensorflowCpuLoader,
  webgpu: webgpuLoader,
  wasm: wasmLoader,
  cpu: cpuLoader,
};

function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/**
 * Selects the tfjs backend every selfsup package computes on.
 *
 * `'auto'` tries tensorflow-gpu → tensorflow → webgpu → wasm → cpu and takes the first that
 * works, reporting why each faster one was skipped. A named backend that cannot run throws a
 * {@link BackendError} naming the package to install.
 */
export async function useBackend(
  name: BackendName | 'auto' = 'auto',
  options: UseBackendOptions = {},
): Promise<BackendSelection> {
  if (name !== 'auto' && !isBackendName(name)) {
    throw new BackendError({
      code: 'BACKEND_UNKNOWN',
      problem: `unknown backend '${String(name)}'`,
      fix: `use one of auto, ${BACKEND_NAMES.join(', ')}`,
    });
  }
  if (name !== 'auto') {
    const loader = LOADERS[name];
    try {
      const loaded = await loader.load({ ...options, explicit: true });
      return { name, tfBackend: loaded.tfBackend, reason: `requested: ${loaded.detail}`, skipped: [] };
    } catch (error) {
      throw toBackendError(loader, error);
    }
  }
  const skipped: SkippedBackend[] = [];
  for (const candidate of BACKEND_NAMES) {
    const loader = LOADERS[candidate];
    try {
      const loaded = await loader.load({ ...options, explicit: false });
      const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
      const reason = `auto: ${loaded.detail}${why ? `; skipped ${why}` : ''}`;
      return { name: candidate, tfBackend: loaded.tfBackend, reason, skipped };
    } catch (error) {
      skipped.push({ name: candidate, reason: reasonOf(error) });
    }
  }
  throw new BackendError({
    code: 'BACKEND_NONE',
    problem: `no tfjs backend works here (${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`,
    fix: 'install one, e.g. npm install @tensorflow/tfjs-backend-wasm',
  });
}

function reasonOf(error: unknown): string {
  return error instanceof BackendUnavailable ? error.reason : String(error);
}

function toBackendError(loader: BackendLoader, error: unknown): BackendError {
  if (error instanceof BackendUnavailable && error.install) {
    return new BackendError({
      code: 'BACKEND_NOT_INSTALLED',
      problem: `backend '${loader.name}' needs ${error.install}, which ${error.reason.replace(`${error.install} `, '')}`,
      fix: `npm install ${loader.packages.join(' ')}`,
      cause: error,
    });
  }
  return new BackendError({
    code: 'BACKEND_UNAVAILABLE',
    problem: `backend '${loader.name}' cannot run here: ${reasonOf(error)}`,
    fix: `use useBackend('auto') to take the fastest backend that works, or fix the cause above`,
    cause: error,
  });
}
