import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, type ImageBatch, type Optimizer } from '@selfsup/core';
import { smallConvnet } from '@selfsup/backbones';
import { contrastiveStep, joint, mlpHead, parametric } from '@selfsup/losses';
import { BN_AND_BIAS, sgd } from '@selfsup/optim';
import type { BuiltModel as StepParts } from '../src/build';

/**
 * Two consecutive `contrastiveStep`s (unchunked) against PyTorch, for `joint` and `parametric`:
 * the fixture is written by fixtures/step-parity.py (torch 1.13, float64) from the same images
 * and initial weights (backbone and head, batch-norm running statistics included). The
 * configuration is the Trainer's with both arms matched: SGD(lr 0.1, momentum 0.9, weight decay
 * 5e-4 except on batch norm and biases) for the backbone (and, for joint, the head); for
 * parametric a second SGD with the same settings and groups for K = 3 inner head steps.
 */

interface Stored {
  shape: number[];
  data: number[];
}
type Named = Record<string, Stored>;
interface Expected {
  losses: number[];
  innerLosses?: number[][];
  backbone: Named;
  head: Named;
}
interface Fixture {
  config: {
    n: number;
    widths: number[];
    headDims: number[];
    inChannels: number;
    temperature: number;
    innerSteps: number;
    lr: number;
    momentum: number;
    weightDecay: number;
    steps: number;
  };
  batches: { v1: Stored; v2: Stored }[];
  initial: { backbone: Named; head: Named };
  expected: { joint: Expected; parametric: Expected };
  /** torch with the weight decay wrong: on every parameter, or on none. */
  variants: Record<'joint' | 'parametric', Record<'weightDecayEverywhere' | 'noWeightDecay', { backbone: Named; head: Named }>>;
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures/step-parity.json'), 'utf8')) as Fixture;
const { config } = fixture;

/** Parameters and running statistics: |actual − expected| ≤ ATOL + RTOL·|expected|. */
const RTOL = 1e-4;
const ATOL = 1e-4;
/** Losses: within 1e-4 relative or 1e-5 absolute. */
const LOSS_RTOL = 1e-4;
const LOSS_ATOL = 1e-5;

type Scheme = 'joint' | 'parametric';

/** The step's parts, plus the parametric head's optimizer (the caller owns and disposes it). */
function build(scheme: Scheme): StepParts & { inner?: Optimizer } {
  const rng = createRng(1);
  const backbone = smallConvnet({ widths: config.widths, rng: rng.fork('backbone'), inChannels: config.inChannels });
  const head = mlpHead({ dims: [backbone.featureDim, ...config.headDims.slice(1)], batchNorm: true, rng: rng.fork('head') });
  const settings = () =>
    sgd({ lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay, groups: [{ match: BN_AND_BIAS, weightDecay: 0 }] });
  if (scheme === 'joint') return { backbone, objective: joint(head, { temperature: config.temperature }), optimizer: settings() };
  const inner = settings();
  const objective = parametric(head, { temperature: config.temperature, innerSteps: config.innerSteps, optimizer: inner });
  return { backbone, objective, optimizer: settings(), inner };
}

/** Every variable of the step by its fixture name: backbone by torch name, head relative to its scope. */
function variables({ backbone, objective }: StepParts): { backbone: Map<string, tf.Variable>; head: Map<string, tf.Variable> } {
  const { head } = objective;
  const prefix = `${head.name}/`;
  const headVars = [...head.trainableVariables(), ...head.nonTrainableVariables()];
  return {
    backbone: backbone.namedVariables(),
    head: new Map(headVars.map((v) => [v.name.startsWith(prefix) ? v.name.slice(prefix.length) : v.name, v])),
  };
}

function load(vars: Map<string, tf.Variable>, stored: Named, where: string): void {
  expect([...vars.keys()].sort(), `${where}: variable names`).toEqual(Object.keys(stored).sort());
  for (const [name, { shape, data }] of Object.entries(stored)) {
    const v = vars.get(name)!;
    expect(v.shape, `${where} ${name}: shape`).toEqual(shape);
    tf.tidy(() => v.assign(tf.tensor(data, shape, 'float32')));
  }
}

interface Worst {
  /** max over elements of |a − e| / (ATOL + RTOL·|e|): ≤ 1 passes. */
  ratio: number;
  abs: number;
  where: string;
}

function worstOf(actual: Record<string, ArrayLike<number>>, expected: Named): Worst {
  let worst: Worst = { ratio: 0, abs: 0, where: '(none)' };
  for (const [name, { data }] of Object.entries(expected)) {
    const a = actual[name];
    expect(a, `no value for ${name}`).toBeDefined();
    expect(a.length, `${name}: size`).toBe(data.length);
    for (let i = 0; i < data.length; i++) {
      const abs = Math.abs(a[i] - data[i]);
      const ratio = abs / (ATOL + RTOL * Math.abs(data[i]));
      if (!(ratio <= worst.ratio)) worst = { ratio, abs, where: `${name}[${i}]: ${a[i]} vs torch ${data[i]}` };
    }
  }
  return worst;
}

const image = ({ data, shape }: Stored): ImageBatch => tf.tensor4d(data, shape as [number, number, number, number], 'float32');
const read = (vars: Map<string, tf.Variable>) => Object.fromEntries([...vars].map(([name, v]) => [name, v.dataSync()]));
const asArrays = (named: Named) => Object.fromEntries(Object.entries(named).map(([name, { data }]) => [name, data]));

function lossesClose(actual: number[], expected: number[]): { ok: boolean; message: string } {
  const errors = actual.map((a, i) => Math.abs(a - expected[i]));
  const ok = actual.length === expected.length && errors.every((e, i) => e <= LOSS_ATOL || e <= LOSS_RTOL * Math.abs(expected[i]));
  return { ok, message: `tfjs ${actual.join(', ')} vs torch ${expected.join(', ')} (worst abs error ${Math.max(...errors).toExponential(2)})` };
}

let baseline = 0;
beforeAll(async () => {
  await tf.setBackend('cpu');
  baseline = tf.memory().numTensors;
});

afterAll(() => {
  expect(tf.memory().numTensors, 'tensors left after the parity runs').toBe(baseline);
});

describe('contrastiveStep against PyTorch (two steps, SGD + momentum + grouped weight decay)', () => {
  for (const scheme of ['joint', 'parametric'] as const) {
    it(`${scheme}: losses, every parameter and every running statistic match torch`, () => {
      const expected = fixture.expected[scheme];
      const parts = build(scheme);
      try {
        const vars = variables(parts);
        load(vars.backbone, fixture.initial.backbone, 'backbone');
        load(vars.head, fixture.initial.head, 'head');
        // The groups resolve as torch's: decay on conv / linear kernels only.
        const decayed = [...vars.backbone.entries(), ...vars.head.entries()]
          .filter(([, v]) => v.trainable && !BN_AND_BIAS.test(v.name))
          .map(([name]) => name)
          .sort();
        expect(decayed).toEqual(['layer0/kernel', 'layer1/kernel', 'stage1.conv.weight', 'stage2.conv.weight']);

        const losses: number[] = [];
        const innerLosses: number[][] = [];
        for (const { v1, v2 } of fixture.batches) {
          const [x1, x2] = [image(v1), image(v2)];
          try {
            const result = contrastiveStep(parts, x1, x2);
            losses.push(result.loss.dataSync()[0]);
            if (result.innerLosses) innerLosses.push(Array.from(result.innerLosses.dataSync()));
            tf.dispose([result.loss, result.innerLosses ?? []]);
          } finally {
            tf.dispose([x1, x2]);
          }
        }

        const lossCheck = lossesClose(losses, expected.losses);
        expect(lossCheck.ok, `${scheme} step losses: ${lossCheck.message}`).toBe(true);
        if (scheme === 'parametric') {
          expect(innerLosses.length).toBe(config.steps);
          const innerCheck = lossesClose(innerLosses.flat(), expected.innerLosses!.flat());
          expect(innerCheck.ok, `parametric inner losses (K = ${config.innerSteps} per step): ${innerCheck.message}`).toBe(true);
        } else {
          expect(innerLosses).toEqual([]);
        }

        const [backboneAfter, headAfter] = [read(vars.backbone), read(vars.head)];
        const distance = (ref: { backbone: Named; head: Named }) =>
          [worstOf(backboneAfter, ref.backbone), worstOf(headAfter, ref.head)].reduce((a, b) => (b.ratio > a.ratio ? b : a));
        const worst = distance(expected);
        console.log(`${scheme}: worst parameter/statistic error ${worst.abs.toExponential(2)} (${(worst.ratio * 100).toFixed(2)}% of tolerance) at ${worst.where}; losses ${lossCheck.message}`);
        expect(
          worst.ratio,
          `${scheme}: worst error ${worst.abs.toExponential(3)} exceeds ${ATOL} + ${RTOL}·|torch| at ${worst.where}`,
        ).toBeLessThanOrEqual(1);
        // Weight decay over two steps moves a weight by ~1.5e-4 of its size, about the tolerance, so
        // the groups are checked here: tfjs must be far closer to torch's matched groups than to
        // torch with decay on every parameter (no groups) or on none.
        for (const [variant, ref] of Object.entries(fixture.variants[scheme])) {
          const off = distance(ref);
          expect(off.ratio, `${scheme}: as close to torch's ${variant} (${off.where}) as to the matched groups`).toBeGreaterThan(
            Math.max(20 * worst.ratio, 0.1),
          );
        }
      } finally {
        parts.backbone.dispose();
        parts.objective.dispose();
        parts.optimizer.dispose();
        parts.inner?.dispose();
      }
    });
  }

  it('the check discriminates: the two schemes, and the steps themselves, move the weights by far more than the tolerance', () => {
    const { joint: j, parametric: p } = fixture.expected;
    // Running the wrong scheme would fail the comparison: torch's joint and parametric differ.
    const schemes = [worstOf(asArrays(j.backbone), p.backbone), worstOf(asArrays(j.head), p.head)];
    for (const w of schemes) expect(w.ratio, `joint vs parametric: ${w.where}`).toBeGreaterThan(10);
    expect(lossesClose(j.losses, p.losses).ok, 'joint and parametric losses').toBe(false);
    // A step that did nothing (or a lost second step) would fail too: the weights moved.
    for (const e of [j, p]) {
      const moved = [
        worstOf(asArrays(fixture.initial.backbone), e.backbone),
        worstOf(asArrays(fixture.initial.head), e.head),
      ];
      for (const w of moved) expect(w.ratio, `initial vs after two steps: ${w.where}`).toBeGreaterThan(10);
    }
    // The inner head steps fit the head: each step's inner losses fall, and the first one is
    // the joint loss on the same batch and weights (step 1).
    for (const inner of p.innerLosses!) for (let k = 1; k < inner.length; k++) expect(inner[k]).toBeLessThan(inner[k - 1]);
    expect(Math.abs(p.innerLosses![0][0] - j.losses[0])).toBeLessThan(1e-9);
  });
});
