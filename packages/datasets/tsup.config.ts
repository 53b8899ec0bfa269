import { defineConfig } from 'tsup';
import { packageBuildDefaults } from '../../tsup.shared';

// The main entry, four subpaths (@selfsup/datasets/memory, /sources, /cache, /formats) and the CLI.
// `splitting` shares one copy of ImageDataset and DataError between the entries in the CommonJS
// build too (esbuild splits ESM by default only), so `instanceof` holds across them.
export default defineConfig({
  ...packageBuildDefaults,
  entry: {
    index: 'src/index.ts',
    memory: 'src/memory.ts',
    formats: 'src/formats/index.ts',
    sources: 'src/sources/index.ts',
    cache: 'src/cache.ts',
    cli: 'src/cli.ts',
  },
  splitting: true,
});
