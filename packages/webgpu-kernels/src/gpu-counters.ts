/** What one stretch of work asked of the GPU. */
export interface GpuWorkCounts {
  /** Compute dispatches (`dispatchWorkgroups`). */
  dispatches: number;
  /** Command-buffer submits (`queue.submit`). */
  submits: number;
  /** GPU→CPU reads (`mapAsync` on a buffer: data(), dataSync(), timing queries). */
  reads: number;
}

export interface GpuWorkCounter {
  /** Counts since the last `reset`. */
  read(): GpuWorkCounts;
  reset(): void;
  /** Takes the wrappers off again. */
  stop(): void;
}

interface DeviceLike {
  queue: { submit(buffers: unknown[]): void };
  createCommandEncoder(): { beginComputePass(): { end(): void }; finish(): unknown };
  createBuffer(descriptor: { size: number; usage: number }): { destroy(): void };
}

type Method = (...args: unknown[]) => unknown;

/**
 * Counts dispatches, submits and GPU→CPU reads on a WebGPU device by wrapping the methods on the
 * prototypes of its queue, compute pass encoders and buffers (tfjs creates encoders and buffers
 * as it goes, so wrapping instances would miss them). For tfjs: `countGpuWork(backend.device)`.
 */
export function countGpuWork(device: DeviceLike): GpuWorkCounter {
  const counts: GpuWorkCounts = { dispatches: 0, submits: 0, reads: 0 };
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.end();
  encoder.finish();
  const buffer = device.createBuffer({ size: 4, usage: 1 /* MAP_READ */ | 8 /* COPY_DST */ });
  buffer.destroy();
  const restores = [
    wrap(Object.getPrototypeOf(device.queue), 'submit', () => counts.submits++),
    wrap(Object.getPrototypeOf(pass), 'dispatchWorkgroups', () => counts.dispatches++),
    wrap(Object.getPrototypeOf(buffer), 'mapAsync', () => counts.reads++),
  ];
  return {
    read: () => ({ ...counts }),
    reset: () => Object.assign(counts, { dispatches: 0, submits: 0, reads: 0 }),
    stop: () => restores.forEach((restore) => restore()),
  };
}

function wrap(target: Record<string, Method>, name: string, count: () => void): () => void {
  const original = target[name];
  target[name] = function (this: unknown, ...args: unknown[]) {
    count();
    return original.apply(this, args);
  };
  return () => {
    target[name] = original;
  };
}
