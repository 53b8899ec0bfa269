import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StudyFile } from '../src/study/types';
import { results, tinyStudy } from './tiny-study';

// `selfsup study` as a user runs it: a separate Node process on the built dist.
const cli = resolve(__dirname, '../dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'selfsup-study-'));
const studyFile = join(work, 'tiny-study.json');

const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 600_000 });

const waitFor = async (condition: () => boolean, child: ChildProcess, what: string) => {
  for (let waited = 0; !condition(); waited += 100) {
    if (child.exitCode !== null || waited > 300_000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

beforeAll(() => {
  expect(existsSync(cli), 'build @selfsup/train first').toBe(true);
  writeFileSync(studyFile, JSON.stringify(tinyStudy));
});

describe('selfsup study', () => {
  let uninterrupted: StudyFile;

  it('runs every (arm, seed), then writes study.json with intervals and the report', () => {
    const dir = join(work, 'straight');
    const result = run(['study', '--config', studyFile, '--study-dir', dir, '--no-progress']);
    expect(result.status, result.stderr).toBe(0);
    uninterrupted = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8'));
    expect(uninterrupted.format).toBe('selfsup-study/1');
    expect(uninterrupted.runs.map((r) => `${r.arm}/${r.seed}`).sort()).toEqual(
      ['joint/0', 'joint/1', 'none/0', 'none/1', 'parametric/0', 'parametric/1'],
    );
    for (const r of uninterrupted.runs) {
      expect(existsSync(join(dir, r.runDir, 'layer-study.json'))).toBe(true);
      for (const row of r.layers) {
        for (const metric of ['knnAccuracy', 'linearAccuracy', 'effectiveRank', 'alignment', 'uniformity'] as const) {
          expect(Number.isFinite(row[metric]), `${r.arm}/${r.seed} ${row.layer} ${metric}`).toBe(true);
        }
      }
    }
    // The head arms have head layers; `none` has backbone stages only.
    expect(uninterrupted.runs.find((r) => r.arm === 'joint')!.layers.some((l) => l.part === 'head')).toBe(true);
    expect(uninterrupted.runs.find((r) => r.arm === 'none')!.layers.every((l) => l.part === 'backbone')).toBe(true);
    const knn = uninterrupted.summary.find((s) => s.arm === 'parametric' && s.layer === 'backbone.stage2' && s.metric === 'knnAccuracy')!;
    expect(knn.n).toBe(2);
    expect(knn.ci95[0]).toBeLessThanOrEqual(knn.mean);
    expect(knn.ci95[1]).toBeGreaterThanOrEqual(knn.mean);
    const pair = uninterrupted.pairedDifferences.find((d) => d.armA === 'joint' && d.armB === 'parametric' && d.layer === 'backbone.stage2' && d.metric === 'knnAccuracy')!;
    expect(pair.positive + pair.negative + pair.ties).toBe(2);
    expect(readFileSync(join(dir, 'study', 'index.html'), 'utf8')).toContain('<svg');
    // The summary table goes to stdout.
    expect(result.stdout).toMatch(/knnAccuracy %\s+joint\s+parametric\s+none/);
  }, 600_000);

  it('after kill -9 mid-study, the same command finishes it without redoing runs, with the same numbers', async () => {
    const dir = join(work, 'killed');
    const args = [cli, 'study', '--config', studyFile, '--study-dir', dir, '--no-progress'];
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    // Seed-major order: joint/0, then parametric/0. Kill once parametric/0 has a checkpoint.
    const checkpoints = join(dir, 'runs', 'parametric', 'seed-0', 'checkpoints');
    await waitFor(() => existsSync(checkpoints) && readdirSync(checkpoints).some((f) => f.endsWith('.safetensors')), child, 'a checkpoint of parametric/seed-0');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const firstLog = join(dir, 'runs', 'joint', 'seed-0', 'metrics.jsonl');
    const firstRunWritten = statSync(firstLog).mtimeMs;

    const resumed = run(['study', '--config', studyFile, '--study-dir', dir, '--no-progress']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/6 runs in .* \(1 already done\)/);
    expect(resumed.stderr).toMatch(/run 2\/6: parametric, seed 0 \(resuming\)/);
    expect(statSync(firstLog).mtimeMs).toBe(firstRunWritten); // the finished run was not redone
    const finished: StudyFile = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8'));
    expect(results(finished)).toEqual(results(uninterrupted));
  }, 600_000);

  it('refuses to mix in runs of another config when the study changes', () => {
    const changed = run(['study', '--config', studyFile, '--study-dir', join(work, 'straight'), '--set', 'train.epochs=3']);
    expect(changed.status).toBe(1);
    expect(changed.stderr).toMatch(/straight.*holds a run with another config than the study now asks for: give the changed study another --study-dir/s);
  });

  it('refuses arms that chunk their batches differently, and a bad study config, with the fix', () => {
    const mixed = join(work, 'mixed.json');
    writeFileSync(mixed, JSON.stringify({ ...tinyStudy, arms: [...tinyStudy.arms, { name: 'chunked', set: { 'train.chunkSize': 16 } }] }));
    const refused = run(['study', '--config', mixed, '--study-dir', join(work, 'mixed')]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/arms chunk their batches differently .*chunked: 16.*set train\.chunkSize in the base config only/s);
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...tinyStudy, seeds: [1, 1], arms: [] }));
    const invalid = run(['study', '--config', bad]);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toMatch(/invalid study config .*\n {2}- arms: .*\n {2}- seeds: seeds must be unique/);
  });
});
