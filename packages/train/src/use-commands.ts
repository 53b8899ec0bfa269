/** `selfsup embed`, `selfsup search` and `selfsup export`: using what a run trained. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { BackendName } from '@selfsup/core';
import { type ImageDataset, loadImageFolder, loadImages } from '@selfsup/datasets';
import { embed } from '@selfsup/eval';
import { loadNamedSplit, trainedImageSize } from './build';
import { checkEmbeddingsPath, readEmbeddings, writeEmbeddings, type EmbeddingsIndex } from './embeddings-file';
import { TrainingError } from './errors';
import { exportRun, type ExportFormat } from './export-run';
import { datasetProgressPrinter } from './run';
import { cosineNeighbours } from './search';
import { formatTable } from './text-table';
import { loadTrainedModel } from './trained';

type Log = (line: string) => void;

export interface EmbedFlags {
  runDir: string;
  images: string;
  out: string;
  layer?: string;
  batchSize?: number;
  limit?: number;
  backend?: BackendName | 'auto';
  progress: boolean;
}

/** Embeds a folder or a dataset split with a run's model and writes the vectors and their index. */
export async function embedCommand(flags: EmbedFlags, log: Log): Promise<EmbeddingsIndex> {
  checkEmbeddingsPath(flags.out);
  const model = await loadTrainedModel(flags.runDir, { backend: flags.backend });
  try {
    const { config, backbone, head } = model;
    const channels = (backbone as { inChannels?: number }).inChannels === 1 ? 1 : 3;
    let data = await loadSource(flags.images, async (name, split) => loadNamedSplit(config, name, split, datasetProgressPrinter(log)), {
      size: trainedImageSize(config),
      channels,
    });
    if (flags.limit !== undefined && flags.limit < data.size) data = data.subset(Int32Array.from({ length: flags.limit }, (_, i) => i), data.name);
    const layer = flags.layer ?? 'features';
    const bar = flags.progress ? new cliProgress.SingleBar({ stream: process.stderr, format: 'embedding |{bar}| {value}/{total} images', barsize: 20, noTTYOutput: true, notTTYSchedule: 5000 }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(data.size, 0);
    const embeddings = await embed(backbone, data, { layer, head, batchSize: flags.batchSize, onBatch: (done) => bar?.update(done) });
    bar?.stop();
    const index: EmbeddingsIndex = {
      format: 'selfsup-embeddings/1',
      runDir: resolve(flags.runDir),
      step: model.step,
      layer,
      count: embeddings.count,
      dim: embeddings.dim,
      source: flags.images,
      imageSize: [data.height, data.width],
      channels: data.channels,
      classNames: [...data.classNames],
      labels: Array.from(data.labels),
      ...(data.files ? { files: [...data.files] } : {}),
    };
    const written = writeEmbeddings(flags.out, embeddings, index);
    log(`selfsup embed: ${index.count} images → ${index.dim}-d ${layer} (step ${index.step}); wrote ${written.vectors} and ${written.index}`);
    return index;
  } finally {
    model.dispose();
  }
}

/** A folder path, or `name:split` of a dataset the cache knows (a folder of that name wins). */
async function loadSource(
  source: string,
  loadSplit: (name: string, split: string) => Promise<ImageDataset>,
  options: { size?: number; channels: 1 | 3 },
): Promise<ImageDataset> {
  const named = /^([a-z0-9-]+):([a-z]+)$/.exec(source);
  if (named && !existsSync(source)) return loadSplit(named[1], named[2]);
  return loadImageFolder(source, { ...(options.size ? { size: options.size } : {}), channels: options.channels });
}

export interface SearchFlags {
  embeddings: string;
  query: string[];
  row: number[];
  k: number;
  json?: boolean;
  backend?: BackendName | 'auto';
}

export interface SearchResult {
  query: { row?: number; file?: string; label?: string };
  neighbours: { rank: number; row: number; similarity: number; label?: string; file?: string }[];
}

/** Nearest neighbours, by cosine similarity, of rows of the embeddings or of new images. */
export async function searchCommand(flags: SearchFlags): Promise<SearchResult[]> {
  const { index, data } = readEmbeddings(flags.embeddings);
  const describe = (row: number) => ({
    ...(index.labels[row] >= 0 ? { label: index.classNames[index.labels[row]] ?? String(index.labels[row]) } : {}),
    ...(index.files ? { file: index.files[row] } : {}),
  });
  const queries: { query: SearchResult['query']; vector: Float32Array; exclude?: number }[] = [];
  for (const row of flags.row) {
    if (!Number.isInteger(row) || row < 0 || row >= index.count) {
      throw new TrainingError({ code: 'SEARCH_BAD_ROW', problem: `--row ${row} is outside 0..${index.count - 1}`, fix: `pick rows of ${flags.embeddings} (${index.count} rows)` });
    }
    queries.push({ query: { row, ...describe(row) }, vector: data.subarray(row * index.dim, (row + 1) * index.dim), exclude: row });
  }
  if (flags.query.length > 0) {
    const images = await loadImages(flags.query, { size: index.imageSize, channels: index.channels === 1 ? 1 : 3 });
    const model = await loadTrainedModel(index.runDir, { backend: flags.backend });
    try {
      const found = await embed(model.backbone, images, { layer: index.layer, head: model.head });
      flags.query.forEach((file, i) => queries.push({ query: { file }, vector: found.data.subarray(i * found.dim, (i + 1) * found.dim) }));
    } finally {
      model.dispose();
    }
  }
  return queries.map(({ query, vector, exclude }) => ({
    query,
    neighbours: cosineNeighbours(data, index.dim, vector, flags.k, exclude).map((n, i) => ({ rank: i + 1, ...n, ...describe(n.row) })),
  }));
}

/** The neighbours of each query as a text table. */
export function formatSearch(results: SearchResult[]): string {
  return results
    .map(({ query, neighbours }) => {
      const what = query.file ?? `row ${query.row}`;
      const rows = [['rank', 'similarity', 'row', 'label', 'file'], ...neighbours.map((n) => [String(n.rank), n.similarity.toFixed(4), String(n.row), n.label ?? '-', n.file ?? '-'])];
      return `query: ${what}${query.label ? ` (${query.label})` : ''}\n${formatTable(rows)}`;
    })
    .join('\n\n');
}

export async function exportCommand(flags: { runDir: string; format: ExportFormat; out?: string; withHead?: boolean }, log: Log): Promise<void> {
  const { out, step } = await exportRun(flags.runDir, flags);
  const how: Record<ExportFormat, string> = {
    onnx: 'input "images" float32 [batch, C, H, W] in [0, 1]; output "features"',
    torchvision: 'load with python/selfsup_backbones.py of @selfsup/backbones: sb.load(path)',
    tfjs: 'load with loadBackbone(url or path) of @selfsup/backbones',
  };
  log(`selfsup export: ${flags.format} of ${flags.runDir} (step ${step}) → ${out}; ${how[flags.format]}`);
}
