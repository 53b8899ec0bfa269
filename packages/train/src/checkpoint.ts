import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { TrainingError } from './errors';

/**
 * Checkpoints are single safetensors files (`step-000120.safetensors`: an 8-byte header length,
 * a JSON header with each tensor's dtype/shape/offsets and our state as `__metadata__` —
 * `format: 'selfsup-checkpoint-1'` and `state`, the JSON of `{ step, meta }` — then the raw
 * data), so any safetensors reader opens them. The tensors are in tfjs' layout, not PyTorch's:
 * the trainer names backbone variables `backbone/<PyTorch name>` with conv kernels HWIO
 * `[kH, kW, in, out]` (PyTorch: OIHW, `permute(3, 2, 0, 1)`), head variables `head/<i>` with
 * dense kernels `[in, out]` (PyTorch's `Linear.weight` is the transpose), optimizer slots
 * `optimizer/<variable>/<slot>`. `importTorchWeights` of @selfsup/backbones reads the backbone
 * part as it is. Each file is written to a temporary file, fsynced and renamed into place: a
 * crash mid-write leaves no file that a later `--resume` would trust.
 */
export interface CheckpointTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface Checkpoint {
  step: number;
  /** Free-form JSON state: config hash, optimizer metadata, epoch position, ... */
  meta: Record<string, unknown>;
  tensors: Record<string, CheckpointTensor>;
}

const SAFETENSORS_DTYPE = { float32: 'F32', int32: 'I32' } as const;
const FROM_SAFETENSORS: Record<string, CheckpointTensor['dtype']> = { F32: 'float32', I32: 'int32' };
const FILE_PATTERN = /^step-(\d+)\.safetensors$/;

export function encodeCheckpoint({ step, meta, tensors }: Checkpoint): Buffer {
  const header: Record<string, unknown> = {
    __metadata__: { format: 'selfsup-checkpoint-1', state: JSON.stringify({ step, meta }) },
  };
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name];
    const bytes = t.data.byteLength;
    header[name] = { dtype: SAFETENSORS_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Pad the header with spaces to a multiple of 8 so the data stays aligned, as the format allows.
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerBytes = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let cursor = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name];
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, cursor);
    cursor += data.byteLength;
  }
  return out;
}

export function decodeCheckpoint(bytes: Buffer, file = 'checkpoint'): Checkpoint {
  const corrupt = (what: string) =>
    new TrainingError({
      code: 'CHECKPOINT_CORRUPT',
      problem: `checkpoint ${file} is unreadable (${what})`,
      fix: `delete ${file} to resume from the previous checkpoint, or start a fresh run without --resume`,
    });
  if (bytes.length < 8) throw corrupt(`${bytes.length} bytes`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (8 + headerLength > bytes.length) throw corrupt('truncated header');
  type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  } catch {
    throw corrupt('header is not JSON');
  }
  const dataStart = 8 + headerLength;
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = value as Entry;
    const dtype = FROM_SAFETENSORS[entry.dtype];
    const [begin, end] = entry.data_offsets;
    if (!dtype) throw corrupt(`tensor ${name} has unsupported dtype ${entry.dtype}`);
    if (dataStart + end > bytes.length) throw corrupt(`tensor ${name} runs past the end of the file (truncated)`);
    const slice = bytes.buffer.slice(bytes.byteOffset + dataStart + begin, bytes.byteOffset + dataStart + end);
    const data = dtype === 'float32' ? new Float32Array(slice) : new Int32Array(slice);
    const expected = entry.shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw corrupt(`tensor ${name} has ${data.length} values, shape needs ${expected}`);
    tensors[name] = { dtype, shape: entry.shape, data };
  }
  const state = (header.__metadata__ as { state?: string } | undefined)?.state;
  if (state === undefined) throw corrupt('no selfsup state in the metadata');
  const { step, meta } = JSON.parse(state) as { step: number; meta: Record<string, unknown> };
  return { step, meta, tensors };
}

/** Writes `dir/step-NNNNNN.safetensors` atomically and keeps the newest `keep` checkpoints. */
export async function saveCheckpoint(dir: string, checkpoint: Checkpoint, keep = 2): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `step-${String(checkpoint.step).padStart(6, '0')}.safetensors`);
  await writeFileAtomic(file, encodeCheckpoint(checkpoint), { fsync: true });
  for (const old of listCheckpoints(dir).slice(0, -keep)) rmSync(old.file, { force: true });
  return file;
}

function listCheckpoints(dir: string): { step: number; file: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => ({ match: FILE_PATTERN.exec(name), name }))
    .filter((entry) => entry.match !== null)
    .map(({ match, name }) => ({ step: Number(match![1]), file: join(dir, name) }))
    .sort((a, b) => a.step - b.step);
}

/** The newest checkpoint in `dir`, or `undefined` when there is none. */
export function loadLatestCheckpoint(dir: string): Checkpoint | undefined {
  const newest = listCheckpoints(dir).at(-1);
  if (!newest) return undefined;
  return decodeCheckpoint(readFileSync(newest.file), newest.file);
}
