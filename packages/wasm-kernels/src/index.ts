export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './register';
export { conv2DBackpropFilter } from './kernels/Conv2DBackpropFilter';
export { conv2DBackpropInput, clearRotatedFilterCache } from './kernels/Conv2DBackpropInput';
export { WasmKernelsError } from './errors';
