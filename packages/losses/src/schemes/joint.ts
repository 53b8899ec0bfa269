import * as tf from '@tensorflow/tfjs-core';
import type { ProjectionHead } from '../heads/types';
import { stackedInfoNCE, stackedInfoNCEWithStats } from '../infonce';
import { checkStacked, checkTemperature } from '../validate';
import { stackPair } from './embed';
import type { ContrastiveObjective, ObjectiveLossOptions } from './types';

export interface JointOptions {
  temperature: number;
}

/**
 * SimCLR's scheme: the head is trained with the backbone by the caller's optimizer (include
 * `objective.variables()` in it) and discarded after training. Also the scheme for
 * parameter-free heads (`identityHead`, `directclr`, `reweightHead`), where `variables()` is [].
 * It has no inner steps, hence no `headStep`.
 */
export function joint(head: ProjectionHead, { temperature }: JointOptions): ContrastiveObjective {
  checkTemperature(temperature, 'joint()');
  const where = `${head.name}: objective`;
  const stackedLoss = (h: tf.Tensor2D, { training = true }: ObjectiveLossOptions = {}): tf.Scalar => {
    checkStacked(h, where);
    return tf.tidy(() => stackedInfoNCE(head.apply(h, { training }), temperature));
  };
  return {
    scheme: 'joint',
    head,
    temperature,
    variables: () => head.trainableVariables(),
    loss: (h1, h2, options) => tf.tidy(() => stackedLoss(stackPair(h1, h2, where), options)),
    lossWithStats: (h1, h2, { training = true } = {}) =>
      tf.tidy(() => stackedInfoNCEWithStats(head.apply(stackPair(h1, h2, where), { training }), temperature)),
    stackedLoss,
    dispose: () => head.dispose(),
  };
}
