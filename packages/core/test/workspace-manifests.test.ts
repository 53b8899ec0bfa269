import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// tfjs-node(-gpu) download libtensorflow in their install script, which fails on machines
// without access to Google's storage: they may only ever be optional peers.
const root = resolve(__dirname, '../../..');
const NATIVE = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];

function manifests(): [string, Record<string, Record<string, unknown> | undefined>][] {
  const files = [join(root, 'package.json')];
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, group))) {
      const file = join(root, group, name, 'package.json');
      if (existsSync(file)) files.push(file);
    }
  }
  return files.map((file) => [file, JSON.parse(readFileSync(file, 'utf8'))]);
}

describe('workspace manifests', () => {
  it('list tfjs-node and tfjs-node-gpu only as optional peers', () => {
    const found = manifests();
    expect(found.length).toBeGreaterThan(8);
    for (const [file, pkg] of found) {
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'bundleDependencies']) {
        for (const name of NATIVE) expect(pkg[field]?.[name], `${file} ${field}`).toBeUndefined();
      }
      for (const name of NATIVE) {
        if (pkg.peerDependencies?.[name] !== undefined) {
          expect((pkg.peerDependenciesMeta?.[name] as { optional?: boolean })?.optional, `${file} peer ${name}`).toBe(true);
        }
      }
    }
  });

  it('keep pnpm from installing peers on its own', () => {
    expect(readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')).toMatch(/^autoInstallPeers: false$/m);
  });
});
