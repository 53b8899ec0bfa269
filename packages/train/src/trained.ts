import { join } from 'node:path';
import { type BackendName, type BackendSelection, useBackend } from '@selfsup/core';
import type { Backbone } from '@selfsup/backbones';
import type { ProjectionHead } from '@selfsup/losses';
import { buildModel } from './build';
import { assignCheckpoint, type Checkpoint, checkpointNames, loadLatestCheckpoint } from './checkpoint';
import type { TrainConfig } from './config/schema';
import { TrainingError } from './errors';
import { readRunConfig } from './run';

/** A trained run's backbone and head, rebuilt from its config and newest checkpoint. */
export interface TrainedModel {
  config: TrainConfig;
  /** The checkpoint's step. */
  step: number;
  backbone: Backbone;
  head: ProjectionHead;
  backend: BackendSelection;
  dispose(): void;
}

/**
 * Rebuilds the model of a run directory without loading its data: the architecture from
 * `config.json`, the weights (backbone and head) from the newest checkpoint. Throws
 * `RUN_DIR_MISSING` for a directory `selfsup train` did not write and `RUN_NO_CHECKPOINT` before
 * the first checkpoint.
 */
export async function loadTrainedModel(runDir: string, options: { backend?: BackendName | 'auto' } = {}): Promise<TrainedModel> {
  const config = readRunConfig(runDir);
  const checkpoint = loadLatestCheckpoint(join(runDir, 'checkpoints'));
  if (!checkpoint) {
    throw new TrainingError({
      code: 'RUN_NO_CHECKPOINT',
      problem: `run ${runDir} has no checkpoint yet (checkpoints/ is empty)`,
      fix: 'let the run reach its first checkpoint (train.checkpointEvery steps), or resume it with selfsup train --resume --run-dir',
    });
  }
  const backend = await useBackend(options.backend ?? config.backend);
  const { backbone, objective, optimizer, headOptimizer } = buildModel(config, { channels: inputChannels(checkpoint), stepsPerEpoch: 1 });
  optimizer.dispose();
  headOptimizer?.dispose();
  const dispose = () => {
    objective.dispose();
    backbone.dispose();
  };
  try {
    assignCheckpoint(checkpoint, checkpointNames(backbone, objective.head));
  } catch (error) {
    dispose();
    throw error;
  }
  return { config, step: checkpoint.step, backbone, head: objective.head, backend, dispose };
}

/** Input channels of the checkpoint's first convolution (HWIO kernels: `[kH, kW, in, out]`). */
function inputChannels(checkpoint: Checkpoint): number {
  const first = checkpoint.tensors['backbone/conv1.weight'] ?? checkpoint.tensors['backbone/stage1.conv.weight'];
  return first?.shape.length === 4 ? first.shape[2] : 3;
}
