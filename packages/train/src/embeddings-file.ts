import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '@selfsup/core';
import type { Embeddings } from '@selfsup/eval';
import { TrainingError } from './errors';
import { asBuffer } from './files';

/** What `selfsup embed` writes beside the vectors (`<name>.json`): where each row came from. */
export interface EmbeddingsIndex {
  format: 'selfsup-embeddings/1';
  /** The run whose model made them (absolute), its checkpoint step and the layer. */
  runDir: string;
  step: number;
  layer: string;
  count: number;
  dim: number;
  /** The images: a folder, or `dataset:split`. */
  source: string;
  /** Image size the model saw (the query of `selfsup search` is resized to it). */
  imageSize: [number, number];
  channels: number;
  classNames: string[];
  /** Per row: its class index (−1 without), and its file for image folders. */
  labels: number[];
  files?: string[];
}

const FORMATS = ['.safetensors', '.npy'];

/** `emb.safetensors` → `emb.json`. */
export function indexPathOf(out: string): string {
  return out.slice(0, out.length - extname(out).length) + '.json';
}

/** Refuses an output that is neither `.safetensors` nor `.npy`, before any work is done. */
export function checkEmbeddingsPath(out: string): void {
  if (!FORMATS.includes(extname(out).toLowerCase())) {
    throw new TrainingError({
      code: 'EMBED_BAD_OUT',
      problem: `--out ${out} is neither .safetensors nor .npy`,
      fix: 'name the output e.g. embeddings.safetensors (tensors embeddings [n, d] and labels [n]) or embeddings.npy (float32 [n, d])',
    });
  }
}

/**
 * Writes the vectors (`.safetensors`: `embeddings` F32 [n, d] and `labels` I32 [n]; `.npy`:
 * float32 [n, d]) and the index beside them, each atomically. Returns both paths.
 */
export function writeEmbeddings(out: string, embeddings: Embeddings, index: EmbeddingsIndex): { vectors: string; index: string } {
  checkEmbeddingsPath(out);
  const { count, dim, data } = embeddings;
  const bytes =
    extname(out).toLowerCase() === '.npy'
      ? encodeNpy(data, [count, dim])
      : encodeSafetensors(
          { embeddings: { dtype: 'F32', shape: [count, dim], data }, labels: { dtype: 'I32', shape: [count], data: Int32Array.from(index.labels) } },
          { format: index.format, layer: index.layer, runDir: index.runDir, step: String(index.step) },
        );
  const indexPath = indexPathOf(out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileAtomic.sync(out, asBuffer(bytes));
  writeFileAtomic.sync(indexPath, `${JSON.stringify(index)}\n`);
  return { vectors: out, index: indexPath };
}

/** Reads what `writeEmbeddings` wrote, checking that the vectors and the index agree. */
export function readEmbeddings(path: string): { index: EmbeddingsIndex; data: Float32Array } {
  checkEmbeddingsPath(path);
  const indexPath = indexPathOf(path);
  for (const file of [path, indexPath]) {
    if (!existsSync(file)) {
      throw new TrainingError({ code: 'EMBED_MISSING', problem: `${file} does not exist`, fix: 'write embeddings with selfsup embed --run-dir <run> --images <folder|dataset:split> --out <file>' });
    }
  }
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as EmbeddingsIndex;
  const bytes = readFileSync(path);
  let data: Float32Array;
  let shape: number[];
  try {
    ({ data, shape } = extname(path).toLowerCase() === '.npy' ? decodeNpy(bytes) : fromSafetensors(bytes, path));
  } catch (error) {
    if (!(error instanceof SafetensorsError)) throw error;
    throw new TrainingError({ code: 'EMBED_CORRUPT', problem: `${path} is unreadable (${error.reason})`, fix: 'write it again with selfsup embed' });
  }
  if (index.format !== 'selfsup-embeddings/1' || shape[0] !== index.count || shape[1] !== index.dim) {
    throw new TrainingError({
      code: 'EMBED_CORRUPT',
      problem: `${path} holds [${shape.join(', ')}] but ${indexPath} describes ${index.count} rows of ${index.dim}`,
      fix: 'write both again with selfsup embed (they are written together)',
    });
  }
  return { index, data };
}

function fromSafetensors(bytes: Uint8Array, path: string): { data: Float32Array; shape: number[] } {
  const tensor = decodeSafetensors(bytes, path).tensors.get('embeddings');
  if (!tensor || tensor.dtype !== 'F32' || tensor.shape.length !== 2) {
    throw new TrainingError({ code: 'EMBED_CORRUPT', problem: `${path} has no float32 [n, d] tensor named embeddings`, fix: 'pass a file written by selfsup embed' });
  }
  return { data: new Float32Array(new Uint8Array(tensor.bytes).buffer), shape: tensor.shape };
}

/**
 * NumPy's .npy v1.0 (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * magic, version, a little-endian u16 header length, a Python-literal header padded with
 * spaces and a newline so the data starts at a multiple of 64, then the C-order data.
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Reads the float32 C-order .npy files `encodeNpy` writes. */
export function decodeNpy(bytes: Uint8Array): { data: Float32Array; shape: number[] } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  const shape = /'shape': \(([^)]*)\)/.exec(header)?.[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!header.includes("'descr': '<f4'") || !header.includes("'fortran_order': False") || !shape) {
    throw new TrainingError({ code: 'EMBED_CORRUPT', problem: `the .npy header ${header.trim()} is not float32 in C order`, fix: 'pass a file written by selfsup embed' });
  }
  const data = new Float32Array(new Uint8Array(bytes.subarray(10 + headerLength)).buffer);
  return { data, shape };
}
