import * as tf from '@tensorflow/tfjs-core';
import type { ProjectionHead } from '../heads/types';
import { infoNCE, infoNCEWithStats } from '../infonce';
import { checkTemperature } from '../validate';
import { embedPair } from './embed';
import type { ContrastiveObjective } from './types';

export interface JointOptions {
  temperature: number;
}

/**
 * SimCLR's scheme: the head is trained with the backbone by the caller's optimizer (include
 * `objective.variables()` in it) and discarded after training. Also the scheme for
 * parameter-free heads (`identityHead`, `directclr`, `reweightHead`), where `variables()` is [].
 */
export function joint(head: ProjectionHead, { temperature }: JointOptions): ContrastiveObjective {
  checkTemperature(temperature, 'joint()');
  return {
    scheme: 'joint',
    head,
    temperature,
    variables: () => head.trainableVariables(),
    loss: (h1, h2, { training = true } = {}) =>
      tf.tidy(() => infoNCE(...embedPair(head, h1, h2, { training }), { temperature })),
    lossWithStats: (h1, h2, { training = true } = {}) =>
      tf.tidy(() => infoNCEWithStats(...embedPair(head, h1, h2, { training }), { temperature })),
    headStep: () => undefined,
    dispose: () => head.dispose(),
  };
}
