import { describe, expect, it } from 'vitest';
import refs from '../test/fixtures/schedules.json';
import { OptimError } from './errors';
import { constant, cosine, linearWarmup, schedules, step, warmupCosine } from './schedules';
import { scaleLr } from './scale-lr';

describe('schedules equal their formulas', () => {
  it('constant', () => {
    const s = constant(0.3);
    expect([0, 1, 1000].map(s)).toEqual([0.3, 0.3, 0.3]);
  });

  it('linearWarmup: lr·t/W during warm-up, lr after (torch LambdaLR min(t/W, 1))', () => {
    const { lr, warmupSteps, values } = refs.linearWarmup;
    const s = linearWarmup({ lr, warmupSteps });
    values.forEach((v, t) => expect(s(t)).toBeCloseTo(v, 15));
    expect(s(0)).toBe(0);
    expect(s(4)).toBe(0.2);
    expect(linearWarmup({ lr: 1, warmupSteps: 4, startLr: 0.2 })(2)).toBeCloseTo(0.6, 15);
    expect(linearWarmup({ lr: 1, warmupSteps: 0 })(0)).toBe(1);
  });

  it('cosine: closed form, torch CosineAnnealingLR, held at finalLr after totalSteps', () => {
    const { lr, totalSteps, finalLr, values, torchChained } = refs.cosine;
    const s = cosine({ lr, totalSteps, finalLr });
    values.forEach((v, t) => expect(s(t)).toBeCloseTo(v, 15));
    torchChained.forEach((v, t) => expect(Math.abs(s(t) - v)).toBeLessThan(1e-12));
    expect(s(0)).toBe(lr);
    expect(s(20)).toBeCloseTo((lr + finalLr) / 2, 15);
    expect(s(totalSteps)).toBeCloseTo(finalLr, 15);
    expect(s(totalSteps + 7)).toBeCloseTo(finalLr, 15);
  });

  it('warmupCosine: SimCLR WarmUpAndCosineDecay, per step, final LR', () => {
    const { lr, warmupSteps, totalSteps, finalLr, values } = refs.warmupCosine;
    const s = warmupCosine({ lr, warmupSteps, totalSteps, finalLr });
    values.forEach((v, t) => expect(s(t)).toBeCloseTo(v, 15)); // same float64 formula; Math.cos may differ from libm by an ulp
    expect(s(0)).toBe(0);
    expect(s(5)).toBeCloseTo(lr / 2, 15);
    expect(s(warmupSteps)).toBe(lr);
    expect(s(30)).toBeCloseTo(finalLr + (lr - finalLr) / 2, 15); // halfway through the cosine
    expect(s(totalSteps)).toBeCloseTo(finalLr, 15);
    expect(s(10_000)).toBeCloseTo(finalLr, 15);
    expect(warmupCosine({ lr: 1, warmupSteps: 2, totalSteps: 4, startLr: 0.5 })(1)).toBe(0.75);
  });

  it('step: torch MultiStepLR', () => {
    const { lr, milestones, gamma, values } = refs.step;
    const s = step({ lr, milestones, gamma });
    values.forEach((v, t) => expect(s(t)).toBeCloseTo(v, 15));
    expect(s(4)).toBe(0.3);
    expect(s(5)).toBeCloseTo(0.06, 15);
    expect(s(25)).toBeCloseTo(0.3 * 0.2 ** 3, 15);
  });

  it('the namespace holds the same functions', () => {
    expect(schedules.warmupCosine).toBe(warmupCosine);
    expect(schedules.step).toBe(step);
  });

  it('rejects bad arguments with a fix', () => {
    expect(() => cosine({ lr: 0.1, totalSteps: 0 })).toThrow(OptimError);
    expect(() => warmupCosine({ lr: 0.1, warmupSteps: 10, totalSteps: 10 })).toThrow(/totalSteps >= 11/);
    expect(() => step({ lr: 0.1, milestones: [5, 3] })).toThrow(/increasing order/);
    expect(() => constant(Number.NaN)).toThrow(/finite lr/);
    expect(() => linearWarmup({ lr: 0.1, warmupSteps: 1.5 })).toThrow(/integer warmupSteps/);
  });
});

describe('scaleLr', () => {
  it('linear: base·B/256', () => {
    expect(scaleLr.linear(0.3, 4096)).toBeCloseTo(4.8, 14);
    expect(scaleLr.linear(0.3, 256)).toBe(0.3);
  });
  it('sqrt: base·√B (SimCLR 0.075·√B)', () => {
    expect(scaleLr.sqrt(0.075, 4096)).toBeCloseTo(4.8, 14);
    expect(scaleLr.sqrt(0.075, 256)).toBeCloseTo(1.2, 14);
  });
  it('rejects a non-integer batch size', () => {
    expect(() => scaleLr.linear(0.3, 0)).toThrow(/batch size as an integer/);
  });
});
