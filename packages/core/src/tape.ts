import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.engine().gradients` with the memory of the backward pass freed as it goes. tfjs keeps
 * every node's output gradient and saved activations until the whole backward pass ends
 * (tfjs-core `tape.ts`, `engine.ts`), so a training step peaks at about twice its activations.
 * Here each node's output gradients and saved tensors are released as soon as the node has
 * been backpropagated, so the peak is the activations plus the gradients on the frontier.
 * Same tape, same gradient functions, same results; falls back to the engine's own method when
 * tfjs' internals differ from what this expects, or inside a higher-order gradient.
 */

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
}

function internals(): EngineInternals | null {
  const engine = tf.engine() as unknown as Partial<EngineInternals>;
  const ok =
    typeof engine.scopedRun === 'function' &&
    typeof engine.startTape === 'function' &&
    typeof engine.endTape === 'function' &&
    engine.state !== undefined &&
    engine.state.gradientDepth === 0; // activeTape is set by startTape; it may not exist yet
  return ok ? (engine as EngineInternals) : null;
}

/**
 * The nodes on a path from `xs` to `y`, inputs pruned to those that depend on `xs`: tfjs-core's
 * `getFilteredNodesXToY` (tape.ts), which its package does not export.
 */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      node.outputs.forEach((o) => fromX.add(o.id));
      nodesFromX.add(node.id);
    }
  }
  const leadToY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => leadToY.has(o.id))) {
      Object.values(node.inputs).forEach((input) => leadToY.add(input.id));
      nodesToY.add(node.id);
    }
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({
      ...node,
      inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, input]) => fromX.has(input.id))),
    }));
}

/** Gradients by tensor id, with each gradient tensor freed once no id holds it. */
class GradientStore {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly holders = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, gradient: tf.Tensor): void {
    this.holders.set(gradient, (this.holders.get(gradient) ?? 0) + 1);
    const previous = this.byId.get(id);
    this.byId.set(id, gradient);
    if (previous !== undefined) this.release(previous);
  }

  /** Forgets the gradient of `id`, freeing it if nothing else holds it. */
  drop(id: number): void {
    const gradient = this.byId.get(id);
    if (gradient === undefined) return;
    this.byId.delete(id);
    this.release(gradient);
  }

  /** Frees a tensor that was computed but not stored (or no longer is). */
  freeIfUnheld(gradient: tf.Tensor): void {
    if ((this.holders.get(gradient) ?? 0) === 0) gradient.dispose();
  }

  private release(gradient: tf.Tensor): void {
    const left = (this.holders.get(gradient) ?? 1) - 1;
    if (left > 0) {
      this.holders.set(gradient, left);
    } else {
      this.holders.delete(gradient);
      gradient.dispose();
    }
  }
}

export function gradientsFreeingEarly<T extends tf.Tensor>(
  f: () => T,
  xs: tf.Tensor[],
  allowNoGradients = false,
): { value: T; grads: (tf.Tensor | undefined)[] } {
  const engine = internals();
  if (engine === null) {
    return tf.engine().gradients(f, xs, undefined, allowNoGradients) as { value: T; grads: tf.Tensor[] };
  }
  let y: T | undefined;
  let done = false;
  try {
    y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => tf.tidy('forward', f),
    );
    const value = y;
    const nodes = nodesFromXsToY(engine.state.activeTape ?? [], xs, value);
    if (!allowNoGradients && nodes.length === 0 && xs.length > 0) {
      throw new Error(
        'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed ' +
          'encloses all operations that lead from x to y.',
      );
    }
    return tf.tidy('backward', () => {
      const store = new GradientStore();
      store.set(value.id, tf.ones(value.shape));
      const requested = new Set(xs.map((x) => x.id));
      for (let i = nodes.length - 1; i >= 0; i--) {
        const node = nodes[i];
        if (node.gradient == null) {
          throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
        }
        const inputGradients = node.gradient(node.outputs.map((o) => store.get(o.id) ?? null));
        for (const [name, x] of Object.entries(node.inputs)) {
          if (!(name in inputGradients)) {
            throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
          }
          const dx = tf.tidy(() => inputGradients[name]());
          if (dx.dtype !== 'float32' || !tf.util.arraysEqual(dx.shape, x.shape)) {
            throw new Error(
              `Error in gradient for op ${node.kernelName}: the gradient of input '${name}' is ` +
                `${dx.dtype} [${dx.shape}], the input ${x.dtype} [${x.shape}]`,
            );
          }
          const current = store.get(x.id);
          if (current === undefined) {
            store.set(x.id, dx);
          } else {
            store.set(x.id, tf.add(current, dx));
            store.freeIfUnheld(dx);
          }
        }
        // This node is done: nothing upstream reads its output gradients or saved tensors.
        node.outputs.forEach((o) => {
          if (!requested.has(o.id)) store.drop(o.id);
        });
        node.saved?.forEach((t) => t.dispose());
      }
      done = true;
      return { value, grads: xs.map((x) => store.get(x.id)) };
    });
  } finally {
    // Also when f or a gradient threw: the tape's saved tensors are kept clones nobody else frees.
    if (!done) y?.dispose();
    (engine.state.activeTape ?? []).forEach((node) => node.saved?.forEach((t) => t.dispose()));
    engine.state.activeTape = null;
  }
}
