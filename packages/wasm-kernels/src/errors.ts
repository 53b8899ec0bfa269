import { SelfsupError } from '@selfsup/core';

/** The wasm backend cannot be set up as asked (threads, kernels). */
export class WasmKernelsError extends SelfsupError {}
