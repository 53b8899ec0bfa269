import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMetrics } from '../src/metrics';

// The CLI as a user runs it: a separate Node process on the built dist.
const cli = resolve(__dirname, '../dist/cli.js');
const work = mkdtempSync(join(tmpdir(), 'selfsup-cli-'));
const folder = join(work, 'images');
const configFile = join(work, 'tiny.json');

const run = (args: string[], cwd?: string) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 240_000, cwd });

beforeAll(async () => {
  expect(existsSync(cli), 'build @selfsup/train first').toBe(true);
  // 48 random 8×8 PNGs in three class folders: a dataset the cpu backend trains on in seconds.
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 16) & 255;
  for (let i = 0; i < 48; i++) {
    const dir = join(folder, `class${i % 3}`);
    mkdirSync(dir, { recursive: true });
    const pixels = Buffer.from(Array.from({ length: 8 * 8 * 3 }, random));
    await sharp(pixels, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(join(dir, `${i}.png`));
  }
  writeFileSync(
    configFile,
    JSON.stringify({
      backend: 'cpu',
      seed: 5,
      data: { name: 'folder', path: folder },
      augment: { preset: 'simclr-cifar', size: 8 },
      model: { backbone: 'small-convnet', widths: [4, 8] },
      head: { type: 'mlp', dims: [16, 8] },
      objective: { scheme: 'parametric', innerSteps: 2 },
      optimizer: { name: 'sgd', lr: 0.1, lrScaling: 'none' },
      schedule: { name: 'warmup-cosine', warmupEpochs: 1 },
      train: { epochs: 10, batchSize: 12, checkpointEvery: 2 },
      eval: { report: false },
    }),
  );
}, 60_000);

function stepLosses(runDir: string): number[] {
  return readMetrics(join(runDir, 'metrics.jsonl'))
    .filter((r) => r.kind === 'step')
    .map((r) => r.loss as number);
}

async function waitFor(condition: () => boolean, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 2400 && !condition(); i++) {
    if (child.exitCode !== null) throw new Error(`the run ended before ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('selfsup train (CLI)', () => {
  it('after kill -9 and --resume, the remaining losses equal an uninterrupted run', async () => {
    const full = join(work, 'full');
    const uninterrupted = run(['train', '--config', configFile, '--run-dir', full, '--no-progress']);
    expect(uninterrupted.status, uninterrupted.stderr).toBe(0);
    const expected = stepLosses(full);
    // 48 images, 10% held out for evaluation: 43 train → 3 steps of 12 per epoch, 10 epochs.
    expect(expected).toHaveLength(30);

    const cut = join(work, 'cut');
    const child = spawn(process.execPath, [cli, 'train', '--config', configFile, '--run-dir', cut, '--no-progress'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
    await waitFor(() => existsSync(join(cut, 'checkpoints', 'step-000006.safetensors')), child, 'step 6');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = stepLosses(cut);
    expect(before.length).toBeGreaterThanOrEqual(6);
    expect(before.length).toBeLessThan(30);

    const resumed = run(['train', '--resume', '--run-dir', cut, '--no-progress']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(stepLosses(cut)).toEqual(expected);
  }, 300_000);

  it('rewrites the report of a finished run', () => {
    const result = run(['report', '--run-dir', join(work, 'full')]);
    expect(result.status, result.stderr).toBe(0);
    const html = readFileSync(join(work, 'full', 'report', 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toMatch(/Training loss/);
  }, 120_000);

  it('evaluates the newest checkpoint of a CIFAR-10 run (kNN on the test split)', () => {
    // Trained with a run directory relative to `work`, evaluated from elsewhere by its full path.
    const runDir = join(work, 'cifar');
    const trained = run([
      'train', '--preset', 'quick', '--backend', 'cpu', '--run-dir', 'cifar', '--no-progress', '--max-steps', '1',
      '--batch-size', '16', '--train-subset', '256', '--set', 'model.widths=[4,8]', '--set', 'eval.knnEvery=0',
      '--set', 'eval.bankSize=256', '--set', 'eval.testSize=200', '--set', 'eval.report=false', '--set', 'eval.knnK=20',
      '--set', 'eval.layerStudy={"trainImages":256,"testImages":200,"probeEpochs":5}',
    ], work);
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/kNN accuracy \(k=20, τ=0\.1\) on 200 test images: \d+\.\d+%/);
    expect(trained.stderr).toMatch(/raw-pixel kNN baseline on the same split: \d+\.\d+%/);
    const evaluated = run(['eval', '--run-dir', runDir]);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const result = JSON.parse(evaluated.stdout);
    expect(result.step).toBe(1);
    const logged = readMetrics(join(runDir, 'metrics.jsonl')).find((r) => r.kind === 'eval');
    expect(result.knnAccuracy).toBe(logged?.knnAccuracy); // same checkpoint, same features, same answer
  }, 180_000);

  it('trains on an image folder with --data, holds out a test split, and evaluates it', () => {
    const runDir = join(work, 'folder-run');
    const trained = run([
      'train', '--data', folder, '--backend', 'cpu', '--run-dir', runDir, '--no-progress', '--max-steps', '2', '--batch-size', '12',
      '--set', 'augment.size=8', '--set', 'model.widths=[4,8]', '--set', 'head.dims=[16,8]', '--set', 'eval.knnEvery=0',
    ]);
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/data: folder:.*\[train\] 43 images 8×8×3, test 5/);
    expect(trained.stderr).toMatch(/kNN accuracy \(k=200, τ=0\.1\) on 5 test images: \d+\.\d+%/);
    expect(existsSync(join(runDir, 'layer-study.json'))).toBe(true);
    expect(readFileSync(join(runDir, 'report', 'index.html'), 'utf8')).toMatch(/Layer|layer/);
    const evaluated = run(['eval', '--run-dir', runDir]);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).knnAccuracy).toBe(readMetrics(join(runDir, 'metrics.jsonl')).find((r) => r.kind === 'eval')?.knnAccuracy);
  }, 180_000);

  it('says what it skips on an unlabeled folder, and eval says why it cannot', () => {
    const runDir = join(work, 'flat-run');
    const trained = run([
      'train', '--data', join(folder, 'class0'), '--backend', 'cpu', '--run-dir', runDir, '--no-progress', '--max-steps', '1', '--batch-size', '8',
      '--set', 'augment.size=8', '--set', 'model.widths=[4,8]', '--set', 'head.dims=[16,8]', '--set', 'eval.report=false',
    ]);
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/skipped: the kNN monitor, the layer study and the report's embedding — .*class0 has no labels \(no class sub-folders\)/);
    const evaluated = run(['eval', '--run-dir', runDir]);
    expect(evaluated.status).toBe(1);
    expect(evaluated.stderr).toMatch(/cannot be evaluated: .*has no labels.*one sub-folder per class/);
  }, 120_000);

  it('fetches and verifies a dataset into the cache', () => {
    const fetched = run(['datasets', 'fetch', 'mnist']);
    expect(fetched.status, fetched.stderr).toBe(0);
    expect(fetched.stdout).toMatch(/^mnist: ready in .*mnist/m);
    const verified = run(['datasets', 'verify', 'mnist']);
    expect(verified.status, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^mnist: verified in /m);
    const unknown = run(['datasets', 'fetch', 'imagenet']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no dataset named "imagenet": use one of cifar10, cifar100, stl10, mnist, fashion-mnist/);
  }, 120_000);

  it('gives one clear error and a non-zero exit for a bad config value', () => {
    const result = run(['train', '--config', configFile, '--set', 'optimizer.lr=-1', '--set', 'train.epochs=0']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: invalid config \(.*tiny\.json \+ command-line overrides\):\n {2}- optimizer\.lr: .*\n {2}- train\.epochs: .*\n/m);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('rejects an unknown backend naming the valid ones', () => {
    const result = run(['train', '--config', configFile, '--backend', 'cuda']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/backend: .*"auto"\|"tensorflow-gpu"\|"tensorflow"\|"webgpu"\|"wasm"\|"cpu"/);
  });

  it('reports a missing dataset with the path and the fix', () => {
    const result = run(['train', '--config', configFile, '--set', `data.path=${join(work, 'nope')}`]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/error: image folder .*nope cannot be read .*: pass the path of a folder/);
  });

  it('prints the resolved config of a preset with overrides', () => {
    const result = run(['train', '--preset', 'cifar10-parametric', '--epochs', '3', '--print-config']);
    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout);
    expect(config).toMatchObject({ preset: 'cifar10-parametric', objective: { scheme: 'parametric', innerSteps: 5 }, train: { epochs: 3 } });
  });
});
