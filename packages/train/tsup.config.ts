import { defineConfig } from 'tsup';
import { packageBuildDefaults } from '../../tsup.shared';

export default defineConfig([
  { ...packageBuildDefaults, entry: ['src/index.ts'] },
  // The CLI: ESM only, with a shebang.
  { entry: ['src/cli.ts'], format: ['esm'], sourcemap: true, target: 'es2022', banner: { js: '#!/usr/bin/env node' } },
]);
