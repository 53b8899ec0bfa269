import * as tf from '@tensorflow/tfjs-core';

let counter = 0;

/**
 * A variable-name prefix no other variable in the tfjs engine uses: tf.variable throws on a
 * duplicate name, and two heads of one kind are common (e.g. one per experiment arm).
 */
export function uniqueScope(kind: string, requested?: string): string {
  const registered = tf.engine().registeredVariables;
  const taken = (scope: string) => Object.keys(registered).some((name) => name.startsWith(`${scope}/`));
  if (requested !== undefined && !taken(requested)) return requested;
  let scope: string;
  do scope = `${requested ?? `selfsup-losses/${kind}`}_${counter++}`;
  while (taken(scope));
  return scope;
}
