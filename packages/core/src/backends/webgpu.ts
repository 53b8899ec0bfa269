import * as tf from '@tensorflow/tfjs-core';
import { activate, firstLine, importOptional, isNode, registeredElsewhere } from './import-optional';
import { type BackendLoader, BackendUnavailable } from './types';

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|microsoft basic render|warp/i;

/** The slice of the WebGPU API this loader touches (no dependency on @webgpu/types). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<object | null>;
}

interface AdapterLike {
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  info?: unknown;
  requestDevice(descriptor: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<unknown>;
}

/** The limits tfjs-backend-webgpu's own factory raises to the adapter's (its base.ts). */
const RAISED_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
];

/**
 * tfjs-backend-webgpu registers its backend when first imported, but only if `navigator.gpu`
 * exists at that moment. In Node that is only once Dawn is set up here, so an app's own
 * `import '@tensorflow/tfjs-backend-webgpu'` at the top of a file registers nothing (its kernels
 * are registered all the same). Then this registers the factory tfjs would have, on `gpu`.
 */
async function registerWebGPUBackend(gpu: GpuLike): Promise<void> {
  if (tf.findBackendFactory('webgpu') != null) return;
  const webgpu = (await importOptional('@tensorflow/tfjs-backend-webgpu')) as {
    WebGPUBackend?: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
  };
  if (tf.findBackendFactory('webgpu') != null) return; // this import was the first: it registered
  if (webgpu.WebGPUBackend === undefined || tf.getKernel('Conv2D', 'webgpu') === undefined) {
    throw registeredElsewhere('@tensorflow/tfjs-backend-webgpu');
  }
  const Backend = webgpu.WebGPUBackend;
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as AdapterLike;
      const requiredFeatures = ['timestamp-query', 'bgra8unorm-storage'].filter((f) => adapter.features.has(f));
      const requiredLimits = Object.fromEntries(RAISED_LIMITS.map((name) => [name, adapter.limits[name]]));
      return new Backend(await adapter.requestDevice({ requiredFeatures, requiredLimits }), adapter.info);
    },
    3,
  );
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** In Node, WebGPU comes from the `webgpu` package (Dawn); browsers have `navigator.gpu`. */
async function gpuApi(): Promise<GpuLike> {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (!isNode) throw new BackendUnavailable('this browser has no navigator.gpu');
  const dawn = (await importOptional('webgpu')) as {
    create: (flags: string[]) => GpuLike;
    globals: Record<string, unknown>;
  };
  let gpu: GpuLike;
  try {
    gpu = dawn.create([]);
  } catch (error) {
    throw new BackendUnavailable(`Dawn could not start (${firstLine(String(error))})`);
  }
  Object.assign(globalThis, dawn.globals);
  const g = globalThis as { navigator?: object };
  if (g.navigator == null) g.navigator = {};
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  return gpu;
}

/**
 * On Linux, a hardware WebGPU adapter needs a GPU device node: a DRM render node (`/dev/dri`,
 * AMD, Intel, NVIDIA's open driver) or NVIDIA's `/dev/nvidia*`. Without one Dawn can only find a
 * software adapter, which `auto` would refuse anyway, after printing driver errors to stderr.
 */
async function linuxHasGpuDevice(): Promise<boolean> {
  const fs = (await importOptional('node:fs')) as typeof import('node:fs');
  if (fs.existsSync('/dev/dri') && fs.readdirSync('/dev/dri').some((name) => name.startsWith('render'))) return true;
  return fs.readdirSync('/dev').some((name) => /^nvidia\d+$/.test(name));
}

/**
 * tfjs' stock webgpu convolution kernels train slowly (the filter gradient loops over the whole
 * batch per filter element). `@selfsup/webgpu-kernels`, when installed, replaces them.
 */
async function registerKernels(): Promise<string> {
  let kernels: { registerWebGPUTrainingKernels(): string[] };
  try {
    kernels = (await importOptional('@selfsup/webgpu-kernels')) as typeof kernels;
  } catch (error) {
    if (error instanceof BackendUnavailable && error.install) {
      if ((globalThis as Record<symbol, unknown>)[Symbol.for('@selfsup/webgpu-kernels registered')] === true) {
        return 'training kernels from @selfsup/webgpu-kernels (registered before useBackend)';
      }
      return isNode ? "tfjs' stock kernels (npm install @selfsup/webgpu-kernels to train faster)" : "tfjs' stock kernels";
    }
    throw error;
  }
  return `training kernels from @selfsup/webgpu-kernels (${kernels.registerWebGPUTrainingKernels().length})`;
}

function describe(info: AdapterInfoLike): string {
  return [info.vendor, info.architecture, info.device, info.description]
    .filter((part) => part != null && part !== '')
    .join(' ');
}

export const webgpuLoader: BackendLoader = {
  name: 'webgpu',
  packages: ['@tensorflow/tfjs-backend-webgpu', 'webgpu'],
  async load({ allowSoftwareAdapter, explicit }) {
    const hasNavigatorGpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu != null;
    if (isNode && !hasNavigatorGpu && process.platform === 'linux' && !(allowSoftwareAdapter || explicit) && !(await linuxHasGpuDevice())) {
      throw new BackendUnavailable('no GPU device on this machine (no /dev/dri render node or /dev/nvidia*), so only a software adapter, slower than wasm');
    }
    const gpu = await gpuApi();
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter == null) throw new BackendUnavailable('no WebGPU adapter (no GPU with a Vulkan, Metal or D3D12 driver)');
    const info: AdapterInfoLike =
      (adapter as { info?: AdapterInfoLike }).info ??
      (await (adapter as { requestAdapterInfo?: () => Promise<AdapterInfoLike> }).requestAdapterInfo?.()) ??
      {};
    const name = describe(info) || 'unknown adapter';
    const software = info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(name);
    if (software && !(allowSoftwareAdapter || explicit)) {
      throw new BackendUnavailable(
        `only a software adapter (${name}), slower than wasm; pass { allowSoftwareAdapter: true } to use it`,
      );
    }
    await registerWebGPUBackend(gpu);
    const kernels = await registerKernels();
    await activate('webgpu');
    return { tfBackend: 'webgpu', detail: `${software ? 'software adapter' : 'adapter'} ${name}, ${kernels}` };
  },
};
