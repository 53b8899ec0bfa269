import { defineConfig, type Options } from 'tsup';

/** Every published package builds the same way: ESM + CJS + declarations for Node 20 and browsers. */
export const packageBuildDefaults: Options = {
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
};

/** The build of a package with these entry points (plus any package-specific options). */
export function packageBuild(entry: string[] = ['src/index.ts'], extra: Options = {}) {
  return defineConfig({ ...packageBuildDefaults, entry, ...extra });
}
