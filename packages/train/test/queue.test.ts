import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMetrics } from '../src/metrics';
import type { StudyFile } from '../src/study/types';
import { results, tinyStudy } from './tiny-study';

// Studies across processes: a real redis-server on loopback, real `selfsup worker` processes.
const cli = resolve(__dirname, '../dist/cli.js');
const redisServer = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(existsSync);
if (!redisServer) console.warn('queue tests skipped: redis-server is not installed (apt-get install redis-server; .ci/run installs it)');

const work = mkdtempSync(join(tmpdir(), 'selfsup-queue-'));
const runRoot = join(work, 'shared');
const children: ChildProcess[] = [];
let queue = '';

/** Two arms × two seeds, 16 steps each: long enough to kill a worker mid-run. */
const study = { ...tinyStudy, name: 'q', arms: tinyStudy.arms.slice(0, 2), base: { ...tinyStudy.base, train: { epochs: 4, batchSize: 32, checkpointEvery: 2 } } };
const studyFile = join(work, 'q.json');

const cliSync = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 600_000 });

function startWorker(): { child: ChildProcess; log: () => string } {
  let output = '';
  const child = spawn(process.execPath, [cli, 'worker', '--queue', queue, '--run-root', runRoot, '--lock-duration', '3000', '--exit-when-empty', '--no-progress']);
  child.stderr!.on('data', (chunk) => (output += chunk));
  child.stdout!.on('data', (chunk) => (output += chunk));
  children.push(child);
  return { child, log: () => output };
}

const exited = (child: ChildProcess) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r)));

async function until(condition: () => boolean, what: string, limitMs = 300_000): Promise<void> {
  for (const started = Date.now(); !condition(); ) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

beforeAll(async () => {
  if (!redisServer) return;
  expect(existsSync(cli), 'build @selfsup/train first').toBe(true);
  writeFileSync(studyFile, JSON.stringify(study));
  const port = await freePort();
  const redis = spawn(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work]);
  children.push(redis);
  let banner = '';
  redis.stdout!.on('data', (chunk) => (banner += chunk));
  await until(() => /Ready to accept connections/.test(banner), 'redis-server to start', 20_000);
  queue = `redis://127.0.0.1:${port}/0`;
});

// Redis and every worker stop when the tests end, pass or fail.
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(exited));
});

describe.skipIf(!redisServer)('selfsup study --queue and selfsup worker', () => {
  it('two workers, one killed mid-run: every run finishes once, the killed run resumes, study.json equals a local study', async () => {
    const submitted = cliSync(['study', '--config', studyFile, '--study-dir', join(runRoot, 'q'), '--queue', queue]);
    expect(submitted.status, submitted.stderr).toBe(0);
    expect(submitted.stderr).toMatch(/submitted 4 runs .* \(4 new, 0 already there\)/);

    const a = startWorker();
    const b = startWorker();
    // Kill worker A once a run it took has a checkpoint (and so is mid-run).
    const takenBy = (w: { log: () => string }) => [...w.log().matchAll(/taking (run-\w+) \((\w+), seed (\d+)\)/g)].at(-1);
    const checkpointOf = (m: RegExpMatchArray) => join(runRoot, 'q', 'runs', m[2], `seed-${m[3]}`, 'checkpoints');
    await until(() => {
      const m = takenBy(a);
      return m !== undefined && existsSync(checkpointOf(m)) && readdirSync(checkpointOf(m)).some((f) => f.endsWith('.safetensors'));
    }, 'worker A to checkpoint a run');
    const killedRun = takenBy(a)![1];
    a.child.kill('SIGKILL');
    await exited(a.child);
    expect(a.log()).not.toMatch(new RegExp(`${killedRun} done`));

    await exited(b.child);
    const logs = a.log() + b.log();
    expect(b.log(), b.log()).toMatch(new RegExp(`taking ${killedRun} .*resuming from its checkpoint`));
    // Exactly once: each run completed once, and each step of each run is logged once.
    const ids = [...new Set([...logs.matchAll(/taking (run-\w+)/g)].map((m) => m[1]))];
    expect(ids).toHaveLength(4);
    for (const id of ids) expect(logs.match(new RegExp(`${id} done`, 'g')), id).toHaveLength(1);
    for (const arm of ['joint', 'parametric']) {
      for (const seed of [0, 1]) {
        const steps = readMetrics(join(runRoot, 'q', 'runs', arm, `seed-${seed}`, 'metrics.jsonl')).filter((r) => r.kind === 'step').map((r) => r.step);
        expect(steps, `${arm}/${seed}`).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      }
    }
    const status = cliSync(['study', 'status', '--study-dir', join(runRoot, 'q'), '--queue', queue]);
    expect(status.stdout).toMatch(/4 of 4 runs done/);
    expect(status.stdout.match(/ done {2}completed/g)).toHaveLength(4);

    const report = cliSync(['study', 'report', '--study-dir', join(runRoot, 'q')]);
    expect(report.status, report.stderr).toBe(0);
    const distributed: StudyFile = JSON.parse(readFileSync(join(runRoot, 'q', 'study.json'), 'utf8'));
    const local = cliSync(['study', '--config', studyFile, '--study-dir', join(work, 'local'), '--no-progress']);
    expect(local.status, local.stderr).toBe(0);
    const here: StudyFile = JSON.parse(readFileSync(join(work, 'local', 'study.json'), 'utf8'));
    expect(results(distributed)).toEqual(results(here));
  }, 600_000);

  it('submitting the same study again adds no job', () => {
    const again = cliSync(['study', '--config', studyFile, '--study-dir', join(runRoot, 'q'), '--queue', queue]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/submitted 4 runs .* \(0 new, 4 already there\)/);
  });

  it('a diverging run is failed once, not retried', async () => {
    const diverging = { ...study, name: 'nan', arms: [{ name: 'huge-lr', set: { 'optimizer.lr': 1e30 } }], seeds: [0] };
    const file = join(work, 'nan.json');
    writeFileSync(file, JSON.stringify(diverging));
    expect(cliSync(['study', '--config', file, '--study-dir', join(runRoot, 'nan'), '--queue', queue]).status).toBe(0);
    const worker = startWorker();
    await exited(worker.child);
    expect(worker.log().match(/taking run-\w+ \(huge-lr/g)).toHaveLength(1);
    const status = cliSync(['study', 'status', '--study-dir', join(runRoot, 'nan'), '--queue', queue]);
    expect(status.stdout).toMatch(/huge-lr .* failed: the loss became (NaN|-?Infinity) at step \d+/);
    expect(status.stdout).toMatch(/0 of 1 runs done, 1 failed/);
  }, 300_000);
});
