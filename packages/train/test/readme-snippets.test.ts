import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Every TypeScript example in the READMEs that is a whole program (it has imports) type-checks
// against the built packages: a renamed or moved export breaks this test, not a reader.
// Written inside this package, whose node_modules holds every @selfsup package (and itself,
// by its own name).
const root = resolve(__dirname, '../../..');
const readmes = [join(root, 'README.md'), ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'README.md'))].filter((f) => {
  try {
    return readFileSync(f).length > 0;
  } catch {
    return false;
  }
});

interface Snippet {
  readme: string;
  line: number;
  code: string;
}

function snippetsOf(readme: string): Snippet[] {
  const text = readFileSync(readme, 'utf8');
  const out: Snippet[] = [];
  const fence = /^```ts\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    if (!/^import /m.test(m[1])) continue; // a fragment, not a program
    out.push({ readme: relative(root, readme), line: text.slice(0, m.index).split('\n').length + 1, code: m[1] });
  }
  return out;
}

const snippets = readmes.flatMap(snippetsOf);
const dir = mkdtempSync(join(__dirname, '..', '.readme-snippets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README examples', () => {
  it('finds the examples of every package README', () => {
    expect(new Set(snippets.map((s) => s.readme.split('/')[1])).size).toBeGreaterThanOrEqual(8);
  });

  it('type-check against the built packages (tsc --strict)', () => {
    snippets.forEach((s, i) => writeFileSync(join(dir, `snippet-${i}.ts`), `${s.code}\nexport {};\n`));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: true, esModuleInterop: true, types: ['node'] },
        include: ['*.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    const errors = tsc.stdout
      .split('\n')
      .filter((l) => /error TS/.test(l))
      .map((l) => {
        const [, n, line, message] = /snippet-(\d+)\.ts\((\d+),\d+\): (.*)/.exec(l) ?? [];
        const s = snippets[Number(n)];
        return s ? `${s.readme}:${s.line + Number(line) - 1}: ${message}` : l;
      });
    expect(errors).toEqual([]);
  }, 120_000);
});
