import { defineConfig } from 'tsup';
import { packageBuildDefaults } from '../../tsup.shared';

export default defineConfig([
  // splitting: one copy of shared modules (error classes) for every entry, in CJS too.
  { ...packageBuildDefaults, entry: { index: 'src/index.ts', config: 'src/entries/config.ts', 'run-dir': 'src/entries/run-dir.ts', study: 'src/entries/study.ts' }, splitting: true },
  // The CLI: ESM only, with a shebang.
  { entry: ['src/cli.ts'], format: ['esm'], sourcemap: true, target: 'es2022', banner: { js: '#!/usr/bin/env node' } },
]);
