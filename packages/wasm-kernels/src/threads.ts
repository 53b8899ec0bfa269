import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';
import { WasmKernelsError } from './errors';

/**
 * Multithreaded wasm in Node. tfjs-backend-wasm ships a threaded SIMD binary but never uses it
 * in Node, for three reasons this module works around:
 *  1. the WASM_HAS_MULTITHREAD_SUPPORT flag returns false whenever IS_NODE (tfjs#3830);
 *  2. its loader hands Emscripten's pthread worker script over as a Blob URL, which Node's
 *     worker_threads cannot start — here it is written to a .cjs file in the temp folder;
 *  3. the binary caps the XNNPACK thread pool at emscripten_num_logical_cores() / 2 (it assumes
 *     hyper-threading), i.e. 1 thread on a 2-core machine — here that import reports 2·threads.
 * The backend object is tfjs's own BackendWasm, so every wasm kernel (and ours) runs unchanged.
 */
export interface ThreadedWasmOptions {
  /** XNNPACK threads; default: os.availableParallelism(). At most 8 (the binary's worker pool). */
  threads?: number;
  /** tfjs backend priority; default 2, like the stock wasm registration. */
  priority?: number;
}

const MAX_THREADS = 8;

/**
 * Replaces tfjs's `wasm` backend registration with one that runs the threaded SIMD binary on
 * `threads` threads in Node. Call it before the wasm backend is first used
 * (`tf.setBackend('wasm')` / `useBackend`). The pthread workers are unref'd, so they do not keep
 * the process alive.
 */
export function registerThreadedWasmBackend(options: ThreadedWasmOptions = {}): void {
  const threads = options.threads ?? Math.min(MAX_THREADS, availableParallelism());
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new WasmKernelsError({
      code: 'WASM_THREADS_RANGE',
      problem: `threads is ${threads}`,
      fix: `pass an integer from 1 to ${MAX_THREADS} (the threaded binary pre-spawns ${MAX_THREADS} workers)`,
    });
  }
  if (wasmBackendRunning()) {
    throw new WasmKernelsError({
      code: 'WASM_ALREADY_INITIALISED',
      problem: 'the wasm backend is already initialised (single-threaded)',
      fix: 'call registerThreadedWasmBackend() before tf.setBackend("wasm") or useBackend()',
    });
  }
  const files = locateThreadedFiles();
  if (tf.findBackendFactory('wasm') != null) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const factory = files.require(files.glue) as (config: object) => Promise<EmscriptenModule>;
      const before = PROCESS_EVENTS.map((event) => processEvents.listeners(event));
      const ready = factory({
        locateFile: (name: string, prefix: string) =>
          name.endsWith('.worker.js') ? files.worker : name.endsWith('.wasm') ? files.binary : prefix + name,
        mainScriptUrlOrBlob: files.glue,
        instantiateWasm: (
          imports: { env: Record<string, unknown> },
          receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
        ) => {
          // The binary divides this by 2 and caps the thread pool at the result.
          imports.env.emscripten_num_logical_cores = () => 2 * threads;
          WebAssembly.instantiate(fs.readFileSync(files.binary), imports as WebAssembly.Imports).then(
            (r) => receive(r.instance, r.module),
            (error: unknown) => {
              throw error;
            },
          );
          return {};
        },
        // Emscripten's exit path would set process.exitCode or call process.exit; tfjs never
        // exits the runtime, and if it did that is not the user's process to end.
        quit: (_status: number, toThrow: unknown) => {
          throw toThrow;
        },
      });
      // The runtime installs these handlers synchronously in the call above. They rethrow from
      // its one-line minified source, so Node prints ~55 KB of it above any uncaught error of
      // the user's own (and exits with 7, not 1). tfjs only removes them on dispose.
      PROCESS_EVENTS.forEach((event, i) => {
        for (const listener of processEvents.listeners(event)) {
          if (!before[i].includes(listener)) processEvents.removeListener(event, listener as () => void);
        }
      });
      const module = await ready;
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, []),
      };
      wasmBackend.setThreadsCount(threads);
      const backend = new wasmBackend.BackendWasm(module as never);
      for (const worker of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) {
        worker.unref?.();
      }
      return backend;
    },
    options.priority ?? 2,
  );
}

/** The process handlers the Emscripten runtime adds in Node (see the factory above). */
const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'];
/** `process` seen as a plain emitter (its typings overload `listeners` per event name). */
const processEvents: NodeJS.EventEmitter = process;

/**
 * Whether the wasm backend has been initialised. Not `tf.findBackend('wasm')`: that starts the
 * initialisation of a registered backend (here the stock single-threaded one) as a side effect.
 */
function wasmBackendRunning(): boolean {
  return tf.engine().registry.wasm != null;
}

/** Threads the active wasm backend's XNNPACK pool uses (1 for the stock registration). */
export function wasmThreadsCount(): number {
  return wasmBackend.getThreadsCount();
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...args: number[]) => number;
  PThread: { runningWorkers: { unref?(): void }[]; unusedWorkers: { unref?(): void }[] };
  tfjs?: Record<string, unknown>;
}

function availableParallelism(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function locateThreadedFiles() {
  const req = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  } catch (cause) {
    throw new WasmKernelsError({
      code: 'WASM_NOT_INSTALLED',
      problem: '@tensorflow/tfjs-backend-wasm cannot be resolved from @selfsup/wasm-kernels',
      fix: 'npm install @tensorflow/tfjs-backend-wasm (the same version as @tensorflow/tfjs-core)',
      cause,
    });
  }
  const out = path.join(dir, 'wasm-out');
  const glue = path.join(out, 'tfjs-backend-wasm-threaded-simd.js');
  const binary = path.join(out, 'tfjs-backend-wasm-threaded-simd.wasm');
  const { wasmWorkerContents } = req(path.join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // tfjs escapes the newlines inside the script's string literals the same way before making a Blob.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const worker = path.join(os.tmpdir(), `selfsup-tfjs-wasm-${wasmBackend.version_wasm}-${hash(script)}.worker.cjs`);
  if (!fs.existsSync(worker)) {
    const partial = `${worker}.${process.pid}`;
    fs.writeFileSync(partial, script);
    fs.renameSync(partial, worker);
  }
  return { require: req, glue, binary, worker };
}

function hash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16);
}
