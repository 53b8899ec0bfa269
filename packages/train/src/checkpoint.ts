/**
 * Training checkpoints. Checkpoints are single safetensors files (`step-000120.safetensors`: an 8-byte header length,
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

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '@selfsup/backbones';
import type { ProjectionHead } from '@selfsup/losses';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsInput } from '@selfsup/core';
import { TrainingError } from './errors';
import { asBuffer } from './files';

/** One tensor of a checkpoint, in tfjs' layout. */
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

const FILE_PATTERN = /^step-(\d+)\.safetensors$/;

export function encodeCheckpoint({ step, meta, tensors }: Checkpoint): Buffer {
  const entries: Record<string, SafetensorsInput> = {};
  for (const [name, t] of Object.entries(tensors)) {
    entries[name] = t.dtype === 'float32' ? { dtype: 'F32', shape: t.shape, data: t.data as Float32Array } : { dtype: 'I32', shape: t.shape, data: t.data as Int32Array };
  }
  const bytes = encodeSafetensors(entries, { format: 'selfsup-checkpoint-1', state: JSON.stringify({ step, meta }) });
  return asBuffer(bytes);
}

export function decodeCheckpoint(bytes: Uint8Array, file = 'checkpoint'): Checkpoint {
  const corrupt = (what: string) =>
    new TrainingError({
      code: 'CHECKPOINT_CORRUPT',
      problem: `checkpoint ${file} is unreadable (${what})`,
      fix: `delete ${file} to resume from the previous checkpoint, or start a fresh run without --resume`,
    });
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes, file);
  } catch (error) {
    throw error instanceof SafetensorsError ? corrupt(error.reason) : error;
  }
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [name, { dtype, shape, bytes: data }] of decoded.tensors) {
    // Copies: aligned typed arrays that outlive the file's buffer.
    const copy = new Uint8Array(data).buffer; // not data.slice(): on a Buffer that is a view
    if (dtype === 'F32') tensors[name] = { dtype: 'float32', shape, data: new Float32Array(copy) };
    else if (dtype === 'I32') tensors[name] = { dtype: 'int32', shape, data: new Int32Array(copy) };
    else throw corrupt(`tensor ${name} has unsupported dtype ${dtype}`);
  }
  const { state } = decoded.metadata;
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

/**
 * Every model variable under its checkpoint name: `backbone/<PyTorch name>` and `head/<index>`
 * (trainable, then non-trainable). tfjs engine names carry per-process scope counters
 * (`smallConvnet_3/...`), so checkpoints never use them.
 */
export function checkpointNames(backbone: Backbone, head: ProjectionHead): Map<string, tf.Variable> {
  const names = new Map<string, tf.Variable>();
  for (const [name, variable] of backbone.namedVariables()) names.set(`backbone/${name}`, variable);
  [...head.trainableVariables(), ...head.nonTrainableVariables()].forEach((variable, i) => names.set(`head/${i}`, variable));
  return names;
}

/** Assigns a checkpoint's tensors to `variables` (checkpoint name → variable), every shape checked first. */
export function assignCheckpoint(checkpoint: Checkpoint, variables: Map<string, tf.Variable>): void {
  for (const [name, target] of variables) {
    const saved = checkpoint.tensors[name];
    if (!saved || !tf.util.arraysEqual(saved.shape, target.shape)) {
      throw new TrainingError({
        code: 'CHECKPOINT_MISMATCH',
        problem: `checkpoint at step ${checkpoint.step} has ${saved ? `shape [${saved.shape}]` : 'no tensor'} for ${name}, the model needs [${target.shape}]`,
        fix: 'use the config the run started with (config.json in the run directory)',
      });
    }
  }
  tf.tidy(() => {
    for (const [name, target] of variables) {
      const saved = checkpoint.tensors[name];
      target.assign(tf.tensor(saved.data, saved.shape, saved.dtype));
    }
  });
}
