import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { readMetrics } from '../metrics';
import { runTraining } from '../run';
import { configSchema, type TrainConfig } from '../config/schema';
import { canonicalJson } from '../queue/spec';
import { ConfigError } from '../errors';
import { planStudy, type PlannedRun, type StudyConfig } from './config';
import { writeStudyReport } from './report';
import { summarizeStudy } from './summary';
import type { LayerStudyFile, StudyFile, StudyRunRecord } from './types';

export interface StudyOptions {
  /** Default `runs/study-<name>` (or the study config's studyDir). */
  studyDir?: string;
  /** Per-run progress bars (default true). */
  progress?: boolean;
  log?: (line: string) => void;
}

export interface StudyResult {
  /** False when a signal stopped it; rerun the same command to continue. */
  complete: boolean;
  studyDir: string;
  study?: StudyFile;
  reportPath?: string;
}

/** Written when a run has finished training and its layer study: the marker that it is done. */
const DONE_FILE = 'study-run.json';

interface DoneMarker {
  step: number;
  finalLoss?: number;
  /** Seconds of evaluation after training in the piece that finished the run. */
  evalSeconds: number;
}

const minutes = (seconds: number) => (seconds < 90 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`);

/** Whether a run has a checkpoint to resume from. */
export function hasCheckpoint(runDir: string): boolean {
  const dir = join(runDir, 'checkpoints');
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.safetensors'));
}

/** What determines a run's numbers: its config less where it writes and which backend runs it. */
function comparable({ runDir: _runDir, backend: _backend, ...rest }: TrainConfig): string {
  return canonicalJson(rest);
}

/**
 * A run directory written with another config would be skipped or resumed as if it were this
 * run: refuse it, so that editing a study never mixes old runs into new results.
 */
export function assertSameConfig(config: TrainConfig): void {
  const saved = join(config.runDir, 'config.json');
  if (!existsSync(saved)) return;
  const before = configSchema.parse(JSON.parse(readFileSync(saved, 'utf8')));
  if (comparable(before) !== comparable(config)) {
    throw new ConfigError({
      code: 'STUDY_CONFIG_CHANGED',
      problem: `${config.runDir} holds a run with another config than the study now asks for`,
      fix: 'give the changed study another --study-dir, or delete that run directory to redo it',
    });
  }
}

/** Whether a study run has finished training and its layer study. */
export function isRunDone(runDir: string): boolean {
  return existsSync(join(runDir, DONE_FILE)) && existsSync(join(runDir, 'layer-study.json'));
}

/**
 * One study run: trains (resuming from the newest checkpoint if there is one), studies the
 * layers and marks the run done. 'interrupted' when a signal stopped it (checkpoint written).
 */
export async function runStudyRun(config: TrainConfig, { progress, log }: { progress?: boolean; log: (line: string) => void }): Promise<'done' | 'interrupted'> {
  const result = await runTraining(config, { resume: hasCheckpoint(config.runDir), progress, log });
  if (result.summary.interrupted) return 'interrupted';
  if (!result.layerStudy) {
    throw new ConfigError({
      code: 'STUDY_NO_LAYER_STUDY',
      problem: `run ${config.runDir} wrote no layer study`,
      fix: 'a study needs a labelled dataset with a test split and eval.layerStudy.enabled: true',
    });
  }
  const lastStep = [...readMetrics(join(config.runDir, 'metrics.jsonl'))].reverse().find((r) => r.kind === 'step');
  const marker: DoneMarker = { step: result.summary.steps, finalLoss: lastStep?.loss as number | undefined, evalSeconds: result.evalSeconds ?? 0 };
  writeFileAtomic.sync(join(config.runDir, DONE_FILE), `${JSON.stringify(marker, null, 2)}\n`);
  return 'done';
}

/**
 * Runs every (arm, seed) of a study as a normal run in `<studyDir>/runs/<arm>/seed-<seed>`,
 * one after another: finished runs are skipped, interrupted ones resume from their newest
 * checkpoint (exactly), so rerunning the same command after a kill finishes the study with the
 * numbers an uninterrupted one gives. Then writes `study.json` and `study/index.html`.
 */
export async function runStudy(study: StudyConfig, options: StudyOptions = {}): Promise<StudyResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const studyDir = options.studyDir ?? study.studyDir ?? `runs/study-${study.name}`;
  const plan = planStudy(study, studyDir);
  mkdirSync(studyDir, { recursive: true });
  writeFileAtomic.sync(join(studyDir, 'study-config.json'), `${JSON.stringify(study, null, 2)}\n`);
  for (const run of plan) assertSameConfig(run.config);
  const alreadyDone = plan.filter((run) => isRunDone(run.config.runDir)).length;
  log(`study ${study.name}: ${study.arms.length} arms × ${study.seeds.length} seeds = ${plan.length} runs in ${studyDir}${alreadyDone ? ` (${alreadyDone} already done)` : ''}`);

  let done = alreadyDone;
  const started = performance.now();
  let finishedHere = 0;
  for (const [index, run] of plan.entries()) {
    if (isRunDone(run.config.runDir)) continue;
    const eta = finishedHere > 0 ? `, ETA ${minutes(((performance.now() - started) / 1000 / finishedHere) * (plan.length - done))}` : '';
    log(`study: run ${index + 1}/${plan.length}: ${run.arm}, seed ${run.seed}${hasCheckpoint(run.config.runDir) ? ' (resuming)' : ''} — ${done} done${eta}`);
    if ((await runStudyRun(run.config, { progress: options.progress, log })) === 'interrupted') {
      log(`study interrupted in ${run.relativeDir}: rerun the same command to continue`);
      return { complete: false, studyDir };
    }
    done++;
    finishedHere++;
  }
  log(`study ${study.name}: all ${plan.length} runs done in ${minutes((performance.now() - started) / 1000)} (this call)`);
  const { file, reportPath } = await writeStudyResults(study, studyDir, plan, log);
  return { complete: true, studyDir, study: file, reportPath };
}

/** study.json and study/index.html from the runs that are done (the others are listed as missing). */
export async function writeStudyResults(study: StudyConfig, studyDir: string, plan: PlannedRun[], log: (line: string) => void): Promise<{ file: StudyFile; reportPath: string }> {
  const missing = plan.filter((run) => !isRunDone(run.config.runDir));
  if (missing.length > 0) log(`study: ${missing.length} of ${plan.length} runs are not done and left out: ${missing.map((r) => r.relativeDir).join(', ')}`);
  const file = collectStudy(study, plan.filter((run) => isRunDone(run.config.runDir)));
  writeFileAtomic.sync(join(studyDir, 'study.json'), `${JSON.stringify(file, null, 2)}\n`);
  const report = await writeStudyReport(join(studyDir, 'study'), file);
  log(`study: ${join(studyDir, 'study.json')}, report ${report.html}`);
  return { file, reportPath: report.html };
}

/** study.json from the finished runs' files. */
export function collectStudy(study: StudyConfig, plan: PlannedRun[]): StudyFile {
  const runs: StudyRunRecord[] = plan.map((run) => {
    const marker = JSON.parse(readFileSync(join(run.config.runDir, DONE_FILE), 'utf8')) as DoneMarker;
    const layers = (JSON.parse(readFileSync(join(run.config.runDir, 'layer-study.json'), 'utf8')) as LayerStudyFile).rows;
    // Training time from the step log (it survives kills), plus the final evaluation.
    const trainMs = readMetrics(join(run.config.runDir, 'metrics.jsonl')).reduce((sum, r) => sum + (r.kind === 'step' ? Number(r.msPerStep ?? 0) : 0), 0);
    return { arm: run.arm, seed: run.seed, runDir: run.relativeDir, wallSeconds: trainMs / 1000 + marker.evalSeconds, finalLoss: marker.finalLoss, layers };
  });
  const arms = study.arms.map((a) => a.name);
  return {
    format: 'selfsup-study/1',
    name: study.name,
    arms: study.arms.map((a) => ({ name: a.name, overrides: a.set })),
    seeds: study.seeds,
    runs,
    ...summarizeStudy(runs, arms),
  };
}
