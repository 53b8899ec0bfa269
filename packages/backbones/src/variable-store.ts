import * as tf from '@tensorflow/tfjs-core';
import { BackboneError } from './errors';

/**
 * The variables of one model instance, keyed by their PyTorch parameter name. tfjs variable
 * names are global to the engine, so each instance gets its own scope (`resnet18_3/`), and the
 * engine name is `scope + torchName`.
 */
export class VariableStore {
  readonly scope: string;
  private readonly byName = new Map<string, tf.Variable>();
  private readonly trainable: tf.Variable[] = [];
  private readonly nonTrainable: tf.Variable[] = [];
  private disposed = false;

  constructor(prefix: string) {
    this.scope = uniqueScope(prefix);
  }

  /** Wraps `initial` in a variable (and disposes `initial`: the variable keeps its data). */
  add(torchName: string, initial: tf.Tensor, trainable: boolean): tf.Variable {
    if (this.byName.has(torchName)) {
      throw new BackboneError({
        code: 'BACKBONE_DUPLICATE_VARIABLE',
        problem: `variable ${torchName} is defined twice in ${this.scope}`,
        fix: 'give every layer a distinct name (this is a bug in the model definition)',
      });
    }
    const variable = tf.variable(initial, trainable, `${this.scope}/${torchName}`);
    initial.dispose();
    this.byName.set(torchName, variable);
    (trainable ? this.trainable : this.nonTrainable).push(variable);
    return variable;
  }

  named(): Map<string, tf.Variable> {
    return new Map(this.byName);
  }

  trainableVariables(): tf.Variable[] {
    return [...this.trainable];
  }

  nonTrainableVariables(): tf.Variable[] {
    return [...this.nonTrainable];
  }

  countTrainable(): number {
    return this.trainable.reduce((sum, v) => sum + v.size, 0);
  }

  assertAlive(what: string): void {
    if (this.disposed) {
      throw new BackboneError({
        code: 'BACKBONE_DISPOSED',
        problem: `${what} was called on ${this.scope} after dispose()`,
        fix: 'create a new backbone, or call dispose() only when you are done with it',
      });
    }
  }

  dispose(): void {
    if (this.disposed) return;
    for (const v of this.byName.values()) v.dispose();
    this.disposed = true;
  }
}

const counters = new Map<string, number>();

function uniqueScope(prefix: string): string {
  const registered = tf.engine().registeredVariables;
  for (;;) {
    const n = counters.get(prefix) ?? 0;
    counters.set(prefix, n + 1);
    const scope = `${prefix}_${n}`;
    // Another copy of this package (or the user) may have taken the name already.
    const prefixText = `${scope}/`;
    if (!Object.keys(registered).some((name) => name.startsWith(prefixText))) return scope;
  }
}
