import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../build';
import { planStudy, resolveStudy } from './config';
import { STUDY_PRESET_NAMES } from './presets';

// The example of the train README, as a user would save it.
const README_EXAMPLE = `
name: my-study
base:
  preset: quick
  train: { epochs: 20 }
arms:
  - { name: joint,      set: { objective.scheme: joint } }
  - { name: parametric, set: { objective.scheme: parametric, objective.innerSteps: 5 } }
  - { name: none,       set: { head.type: identity } }
  - { name: param-k1,   set: { objective: { scheme: parametric, innerSteps: 1 } } }
seeds: [0, 1, 2]
`;

describe('study config', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'selfsup-study-config-')), 'study.yaml');
  writeFileSync(file, README_EXAMPLE);

  it("reads the README's YAML example: arms override the base, seed by seed", () => {
    const plan = planStudy(resolveStudy({ file }), 'runs/x');
    expect(plan.map((r) => `${r.arm}/${r.seed}`).slice(0, 5)).toEqual(['joint/0', 'parametric/0', 'none/0', 'param-k1/0', 'joint/1']);
    const at = (arm: string, seed: number) => plan.find((r) => r.arm === arm && r.seed === seed)!.config;
    expect(at('parametric', 1).objective).toMatchObject({ scheme: 'parametric', innerSteps: 5 });
    expect(at('param-k1', 2).objective).toMatchObject({ scheme: 'parametric', innerSteps: 1 });
    expect(at('none', 0).head.type).toBe('identity');
    expect(at('joint', 2)).toMatchObject({ seed: 2, runDir: 'runs/x/runs/joint/seed-2', train: { epochs: 20 }, preset: 'quick' });
  });

  it('pairs runs of one seed: configs differ only where the arms say, and the backbones start equal', () => {
    const plan = planStudy(resolveStudy({ file }), 'runs/x').filter((r) => r.seed === 1);
    const strip = ({ runDir, objective, head, ...rest }: (typeof plan)[number]['config']) => rest;
    for (const run of plan) expect(strip(run.config)).toEqual(strip(plan[0].config));
    const weights = plan.map((run) => {
      const model = buildModel({ ...run.config, model: { ...run.config.model, widths: [4, 8] } }, { channels: 3, stepsPerEpoch: 4 });
      const values = model.backbone.trainableVariables().map((v) => Array.from(v.dataSync()));
      model.backbone.dispose();
      model.objective.dispose();
      model.optimizer.dispose();
      model.headOptimizer?.dispose();
      return values;
    });
    for (const w of weights) expect(w).toEqual(weights[0]);
  });

  it('every preset resolves and plans', () => {
    for (const preset of STUDY_PRESET_NAMES) {
      const study = resolveStudy({ preset });
      expect(planStudy(study, 'runs/p').length).toBe(study.arms.length * study.seeds.length);
    }
    expect(() => resolveStudy({ preset: 'head-gpu' })).toThrow(/unknown study preset "head-gpu".*head-smoke, head-cpu, head-cifar10/s);
  });
});
