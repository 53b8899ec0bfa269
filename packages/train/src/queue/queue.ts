import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { ConnectionOptions, Job } from 'bullmq';
import { SelfsupError } from '@selfsup/core';
import { fetchDataset } from '@selfsup/datasets';
import { configSchema, type TrainConfig } from '../config/schema';
import { ConfigError } from '../errors';
import { readMetrics } from '../metrics';
import { planStudy, type StudyConfig } from '../study/config';
import { assertSameConfig, hasCheckpoint, isRunDone, runStudyRun } from '../study/run-study';
import { datasetChecksumOf, runJobOf, type RunJob } from './spec';

/** The queue every selfsup worker listens on (one per Redis database). */
export const QUEUE_NAME = 'selfsup-runs';
/** Beside study-config.json: the submitted jobs, so that status needs no recomputation. */
const JOBS_FILE = 'study-jobs.json';

type Log = (line: string) => void;

async function loadBullmq(): Promise<typeof import('bullmq')> {
  try {
    return await import('bullmq');
  } catch {
    throw new ConfigError({
      code: 'QUEUE_NO_BULLMQ',
      problem: 'running studies through a queue needs bullmq, which is not installed',
      fix: 'npm install bullmq@5 beside @selfsup/train (only --queue needs it; local studies do not)',
    });
  }
}

/** `redis://[:password@]host[:port][/db]` → BullMQ connection options. */
export function connectionOf(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL('invalid://');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError({ code: 'QUEUE_BAD_URL', problem: `--queue ${url} is not a Redis URL`, fix: 'pass redis://host:port/db, e.g. redis://127.0.0.1:6379/0' });
  }
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    db: Number.isInteger(db) ? db : 0,
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ workers block on Redis; ioredis must not give up on those commands.
    maxRetriesPerRequest: null,
  };
}

/**
 * Submits every (arm, seed) run of a study as a job whose id is the hash of its spec: a run
 * already queued, running, done or failed is not added again. Workers write to
 * `<their run root>/<relative run dir>`; this writes the study config and job list to studyDir.
 */
export async function submitStudy(study: StudyConfig, { queue: url, studyDir, log }: { queue: string; studyDir: string; log: Log }): Promise<RunJob[]> {
  const { Queue } = await loadBullmq();
  const plan = planStudy(study, studyDir);
  const checksums = new Map<string, string>();
  const jobs: RunJob[] = [];
  for (const run of plan) {
    const key = JSON.stringify(run.config.data);
    if (!checksums.has(key)) {
      if (run.config.data.name !== 'folder') await fetchDataset(run.config.data.name, { cacheDir: run.config.data.cacheDir });
      checksums.set(key, datasetChecksumOf(run.config));
    }
    // Relative to the run root: the directory that holds the study directory.
    jobs.push(runJobOf(study.name, { ...run, relativeDir: join(basename(resolve(studyDir)), run.relativeDir) }, checksums.get(key)!));
  }
  mkdirSync(studyDir, { recursive: true });
  writeFileAtomic.sync(join(studyDir, 'study-config.json'), `${JSON.stringify(study, null, 2)}\n`);
  writeFileAtomic.sync(join(studyDir, JOBS_FILE), `${JSON.stringify(jobs.map(({ id, arm, relativeDir, spec }) => ({ id, arm, seed: spec.seed, relativeDir })), null, 2)}\n`);
  const queue = new Queue(QUEUE_NAME, { connection: connectionOf(url) });
  try {
    let added = 0;
    for (const job of jobs) {
      if (await queue.getJob(job.id)) continue;
      await queue.add(`${job.study}:${job.arm}/seed-${job.spec.seed}`, job, {
        jobId: job.id,
        // Infrastructure failures (a worker killed, Redis gone) are retried; the run resumes.
        attempts: 5,
        backoff: { type: 'fixed', delay: 1000 },
        removeOnComplete: false,
        removeOnFail: false,
      });
      added++;
    }
    log(`study ${study.name}: submitted ${jobs.length} runs to ${url} (${added} new, ${jobs.length - added} already there); start workers with: selfsup worker --queue ${url} --run-root <the directory holding ${basename(resolve(studyDir))}/ as the worker sees it>`);
  } finally {
    await queue.close();
  }
  return jobs;
}

/** A diverged run or a bad config fails the same way every time: not worth a retry. */
function isPermanent(error: unknown): boolean {
  return error instanceof SelfsupError && (error.code === 'TRAIN_NOT_FINITE' || error.code.startsWith('CONFIG') || error.code.startsWith('STUDY'));
}

export interface WorkerOptions {
  queue: string;
  /** The directory every worker sees that holds the studies' run directories. */
  runRoot: string;
  /** This worker's backend (default: each run's own, usually `auto`). */
  backend?: TrainConfig['backend'];
  /** How long a job stays locked without renewal: a dead worker's run is retried after this. */
  lockDuration?: number;
  /** Exit once no job is waiting, delayed or active (default: run until SIGINT/SIGTERM). */
  exitWhenEmpty?: boolean;
  progress?: boolean;
  log: Log;
}

/**
 * Takes runs from the queue one at a time and trains each with the normal Trainer, resuming from
 * the run's newest checkpoint when an earlier attempt left one. BullMQ renews the job's lock
 * while the run trains (the Trainer yields between steps); a worker that dies stops renewing, and
 * the run goes back to the queue for another worker.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const { Worker, Queue, UnrecoverableError } = await loadBullmq();
  const { runRoot, log } = options;
  const lockDuration = options.lockDuration ?? 60_000;
  const connection = connectionOf(options.queue);
  const name = `worker-${process.pid}`;
  let stopping = false;
  const processor = async (job: Job<RunJob>) => {
    const { id, arm, relativeDir, spec } = job.data;
    const runDir = join(runRoot, relativeDir);
    const config = configSchema.parse({ ...spec.config, runDir, backend: options.backend ?? 'auto' });
    try {
      assertSameConfig(config);
    } catch (error) {
      throw new UnrecoverableError((error as Error).message);
    }
    if (isRunDone(runDir)) {
      log(`${name}: ${id} (${arm}, seed ${spec.seed}) is already done in ${runDir}`);
      return { runDir, skipped: true };
    }
    const resuming = hasCheckpoint(runDir);
    log(`${name}: taking ${id} (${arm}, seed ${spec.seed}), attempt ${job.attemptsMade + 1}${resuming ? ', resuming from its checkpoint' : ''}`);
    try {
      const outcome = await runStudyRun(config, { progress: options.progress, log });
      if (outcome === 'interrupted') throw new Error(`${name} was stopped; the run resumes from its checkpoint on the next attempt`);
      log(`${name}: ${id} done`);
      return { runDir, skipped: false };
    } catch (error) {
      if (isPermanent(error)) throw new UnrecoverableError((error as Error).message);
      throw error;
    }
  };
  const worker = new Worker<RunJob>(QUEUE_NAME, processor, {
    connection,
    concurrency: 1,
    lockDuration,
    stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
    // A run whose workers keep dying is still worth finishing: it resumes each time.
    maxStalledCount: 10,
  });
  worker.on('failed', (job, error) => job && log(`${name}: ${job.id} failed (attempt ${job.attemptsMade}): ${error.message}`));
  worker.on('error', (error) => log(`${name}: ${error.message}`));
  log(`${name}: listening on ${options.queue} (queue ${QUEUE_NAME}), run root ${runRoot}`);

  const stop = () => {
    stopping = true;
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const queue = options.exitWhenEmpty ? new Queue(QUEUE_NAME, { connection }) : undefined;
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (stopping) break;
      if (queue) {
        const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused');
        // A run this worker (or a dead one, until its lock expires) holds counts as active.
        if (Object.values(counts).every((n) => n === 0)) break;
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    log(`${name}: stopping`);
    await worker.close();
    await queue?.close();
  }
}

export interface RunStatus {
  arm: string;
  seed: number;
  relativeDir: string;
  id?: string;
  /** From the run directory: done, or steps logged so far. */
  disk: 'done' | 'not started' | `${number} steps`;
  /** From the queue, when one is given and the study was submitted to it. */
  queue?: string;
  failedReason?: string;
}

/** Where each run of a study stands, from its run directory and (with a queue) its job. */
export async function studyStatus(study: StudyConfig, { studyDir, queue: url }: { studyDir: string; queue?: string }): Promise<RunStatus[]> {
  const plan = planStudy(study, studyDir);
  const jobsFile = join(studyDir, JOBS_FILE);
  const jobs: { id: string; arm: string; seed: number }[] = existsSync(jobsFile) ? JSON.parse(readFileSync(jobsFile, 'utf8')) : [];
  const statuses: RunStatus[] = plan.map((run) => {
    const metrics = join(run.config.runDir, 'metrics.jsonl');
    const steps = existsSync(metrics) ? readMetrics(metrics).filter((r) => r.kind === 'step').length : 0;
    const disk: RunStatus['disk'] = isRunDone(run.config.runDir) ? 'done' : steps > 0 ? `${steps} steps` : 'not started';
    return { arm: run.arm, seed: run.seed, relativeDir: run.relativeDir, id: jobs.find((j) => j.arm === run.arm && j.seed === run.seed)?.id, disk };
  });
  if (url) {
    const { Queue } = await loadBullmq();
    const queue = new Queue(QUEUE_NAME, { connection: connectionOf(url) });
    try {
      for (const status of statuses) {
        const job = status.id ? await queue.getJob(status.id) : undefined;
        status.queue = job ? await job.getState() : 'not submitted';
        if (job?.failedReason) status.failedReason = job.failedReason;
      }
    } finally {
      await queue.close();
    }
  }
  return statuses;
}

/** The statuses as a table, with counts. */
export function formatStatus(statuses: RunStatus[]): string {
  const rows = [['arm', 'seed', 'run', 'disk', 'queue'], ...statuses.map((s) => [s.arm, String(s.seed), s.id ?? '-', s.disk, s.queue ? `${s.queue}${s.failedReason ? `: ${s.failedReason}` : ''}` : '-'])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd());
  const done = statuses.filter((s) => s.disk === 'done').length;
  const failed = statuses.filter((s) => s.queue === 'failed').length;
  const running = statuses.filter((s) => s.queue === 'active').length;
  return [...lines, '', `${done} of ${statuses.length} runs done${running ? `, ${running} running` : ''}${failed ? `, ${failed} failed` : ''}`].join('\n');
}
