export { registerWebGPUTrainingKernels, useStockWebGPUKernels, WEBGPU_TRAINING_KERNELS } from './register';
export { countGpuWork, type GpuWorkCounts, type GpuWorkCounter } from './gpu-counters';
