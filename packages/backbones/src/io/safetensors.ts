import { decodeSafetensors, type SafetensorsTensor } from '@selfsup/core';

/**
 * The tensors of a safetensors file by name (views into `file`, not copies); the reader is
 * `decodeSafetensors` of @selfsup/core, which also returns the header's metadata.
 */
export function readSafetensors(file: Uint8Array | ArrayBuffer, source = 'safetensors file'): Map<string, SafetensorsTensor> {
  return decodeSafetensors(file, source).tensors;
}
