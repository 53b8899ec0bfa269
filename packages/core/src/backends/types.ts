/** The backends selfsup knows, fastest first: the order `useBackend('auto')` tries them in. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

export interface SkippedBackend {
  name: BackendName;
  reason: string;
}

export interface BackendSelection {
  /** The selfsup name of the backend in use. */
  name: BackendName;
  /** Why this backend, and for `auto` why not the faster ones. */
  reason: string;
  /** For `auto`: every faster backend that was tried, with why it was passed over. */
  skipped: SkippedBackend[];
  /** The name tfjs knows it by (`tf.getBackend()`). */
  tfBackend: string;
}

export interface UseBackendOptions {
  /**
   * Accept a software WebGPU adapter (lavapipe, SwiftShader, WARP). `auto` never picks one
   * unless this is set, since they run slower than wasm; naming `webgpu` explicitly always may.
   */
  allowSoftwareAdapter?: boolean;
  /**
   * wasm in Node with `@selfsup/wasm-kernels`: XNNPACK threads (default: every core; 1 keeps the
   * stock single-threaded binary). Takes effect only before the wasm backend first starts.
   */
  wasmThreads?: number;
}

/** What a loader reports when its backend works. */
export interface LoadedBackend {
  tfBackend: string;
  detail: string;
}

/** Thrown by a loader when its backend cannot run here; `reason` says why in a phrase. */
export class BackendUnavailable extends Error {
  constructor(
    readonly reason: string,
    /** The npm package(s) that would make it available, when a missing install is the cause. */
    readonly install?: string,
  ) {
    super(reason);
  }
}

export interface BackendLoader {
  name: BackendName;
  /** npm packages the backend needs, for error messages. */
  packages: string[];
  load(options: UseBackendOptions & { explicit: boolean }): Promise<LoadedBackend>;
}
