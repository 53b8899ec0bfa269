import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { knnAccuracy } from '@selfsup/eval';
import { embed2d, writeReport } from '@selfsup/eval/report';
import type { ImageDataset, ProgressEvent } from '@selfsup/datasets';
import type { Backbone } from '@selfsup/backbones';
import { configSchema, type TrainConfig } from './config/schema';
import { buildRun, type BuiltRun, type Datasets } from './build';
import { TrainingError } from './errors';
import { extractFeatures, firstRows, labelsOf, pixelFeatures } from './features';
import { canStudyLayers, studyLayers, writeLayerStudy } from './layer-study';
import { MetricsLog, readMetrics } from './metrics';
import { packageVersions } from './versions';
import type { LayerStudyFile } from './study/types';
import { Trainer, type TrainSummary } from './trainer';

export interface RunOptions {
  resume?: boolean;
  progress?: boolean;
  /** Where human-readable lines go (default stderr). */
  log?: (line: string) => void;
}

export interface RunResult {
  summary: TrainSummary;
  knn?: { accuracy: number; rawPixelAccuracy?: number };
  /** Also written to runDir/layer-study.json. */
  layerStudy?: LayerStudyFile;
  /** Seconds spent evaluating after training (kNN, layer study, report). */
  evalSeconds?: number;
  reportPath?: string;
}

const defaultLog = (line: string) => process.stderr.write(`${line}\n`);

/** Prints dataset acquisition progress at most every few percent. */
export function datasetProgressPrinter(log: (line: string) => void): (event: ProgressEvent) => void {
  let last = '';
  return (event) => {
    const pct = event.total ? Math.floor((100 * (event.done ?? 0)) / event.total / 10) * 10 : undefined;
    const line = `${event.dataset}: ${event.stage} ${event.file}${pct === undefined ? '' : ` ${pct}%`}`;
    if (line !== last) log(line);
    last = line;
  };
}

/** Some rows of a dataset. */
export interface Rows {
  data: ImageDataset;
  rows: Int32Array;
}

/** The kNN memory bank (training rows) and queries (test rows, if there is a test split) of a config. */
export function knnSplits(config: TrainConfig, { train, test }: Datasets): { bank: Rows; query?: Rows } {
  return {
    bank: { data: train, rows: firstRows(train.size, config.eval.bankSize) },
    query: test ? { data: test, rows: firstRows(test.size, config.eval.testSize) } : undefined,
  };
}

/** kNN accuracy of the queries against the bank, on the features `featuresOf` gives. */
async function knnScore(
  featuresOf: (data: ImageDataset, rows: Int32Array) => tf.Tensor2D | Promise<tf.Tensor2D>,
  bank: Rows,
  query: Rows,
  config: TrainConfig,
): Promise<number> {
  const bankFeatures = await featuresOf(bank.data, bank.rows);
  const queryFeatures = await featuresOf(query.data, query.rows);
  try {
    const result = await knnAccuracy(bankFeatures, labelsOf(bank.data, bank.rows), queryFeatures, labelsOf(query.data, query.rows), {
      k: config.eval.knnK,
      temperature: config.eval.knnTemperature,
      numClasses: bank.data.classNames.length,
    });
    return result.accuracy;
  } finally {
    tf.dispose([bankFeatures, queryFeatures]);
  }
}

/** kNN accuracy of eval-mode backbone features. */
export function knnMonitor(backbone: Backbone, bank: Rows, query: Rows, config: TrainConfig): Promise<number> {
  return knnScore((data, rows) => extractFeatures(backbone, data, rows), bank, query, config);
}

/** The whole main job: build from the config, train, monitor, evaluate, report. */
export async function runTraining(config: TrainConfig, { resume = false, progress = true, log = defaultLog }: RunOptions = {}): Promise<RunResult> {
  const built: BuiltRun = await buildRun(config, { onProgress: datasetProgressPrinter(log), resume, progress });
  try {
    return await trainAndEvaluate(config, built, resume, log);
  } finally {
    // Nothing outside holds these: free them, so that runs in one process (a study) do not pile up.
    const { backbone, objective, optimizer, headOptimizer } = built.parts;
    backbone.dispose();
    objective.dispose();
    optimizer.dispose();
    headOptimizer?.dispose();
  }
}

async function trainAndEvaluate(config: TrainConfig, built: BuiltRun, resume: boolean, log: (line: string) => void): Promise<RunResult> {
  const { backend, datasets, parts, options } = built;
  log(`backend: ${backend.name} (${backend.reason})`);
  const { train, test } = datasets;
  log(`data: ${train.name} ${train.size} images ${train.height}×${train.width}×${train.channels}${test ? `, test ${test.size}` : ''}`);
  log(`model: ${parts.backbone.name} (${parts.backbone.countParams().toLocaleString('en-US')} parameters), head ${config.head.type} ${config.head.dims.join('-')}, scheme ${config.objective.scheme}`);

  mkdirSync(config.runDir, { recursive: true });
  writeFileAtomic.sync(join(config.runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const environment = {
    backend: backend.name,
    backendReason: backend.reason,
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpus: cpus().length,
    seed: config.seed,
    versions: packageVersions(),
    startedAt: new Date().toISOString(),
    resumed: resume,
  };
  writeFileAtomic.sync(join(config.runDir, 'environment.json'), `${JSON.stringify(environment, null, 2)}\n`);

  const { bank, query } = knnSplits(config, datasets);
  const canKnn = query !== undefined && train.labels[0] >= 0;
  if (!canKnn) log(`skipped: the kNN monitor, the layer study and the report's embedding — ${whyNoEvaluation(config, datasets)}`);
  if (canKnn && config.eval.knnEvery > 0) {
    parts.onEpochEnd = [
      async ({ epoch, backbone }) =>
        (epoch + 1) % config.eval.knnEvery === 0 ? { knnAccuracy: await knnMonitor(backbone, bank, query!, config) } : undefined,
    ];
  }

  const trainer = new Trainer(parts, options);
  log(`training: ${config.train.epochs} epochs × ${trainer.stepsPerEpoch} steps of ${config.train.batchSize} images (${2 * config.train.batchSize} views)`);
  const summary = await trainer.fit();
  if (summary.interrupted) {
    log(`interrupted at step ${summary.steps}: checkpoint written; continue with --resume`);
    return { summary };
  }

  const result: RunResult = { summary };
  const evalStarted = performance.now();
  if (canKnn) {
    const accuracy = await knnMonitor(parts.backbone, bank, query!, config);
    result.knn = { accuracy };
    log(`kNN accuracy (k=${config.eval.knnK}, τ=${config.eval.knnTemperature}) on ${query!.rows.length} test images: ${(100 * accuracy).toFixed(2)}%`);
    if (config.eval.rawPixelBaseline) {
      const raw = await knnScore(pixelFeatures, bank, query!, config);
      result.knn.rawPixelAccuracy = raw;
      log(`raw-pixel kNN baseline on the same split: ${(100 * raw).toFixed(2)}%`);
    }
    new MetricsLog(join(config.runDir, 'metrics.jsonl')).append({ kind: 'eval', step: summary.steps, epoch: config.train.epochs - 1, knnAccuracy: accuracy, ...(result.knn.rawPixelAccuracy !== undefined ? { rawPixelKnnAccuracy: result.knn.rawPixelAccuracy } : {}) });
  }
  if (config.eval.layerStudy.enabled && canStudyLayers(built)) {
    result.layerStudy = await studyLayers(config, built, summary.steps, log);
    writeLayerStudy(config.runDir, result.layerStudy);
  }
  if (config.eval.report) result.reportPath = await writeRunReport(config, built, { study: result.layerStudy, log });
  result.evalSeconds = (performance.now() - evalStarted) / 1000;
  return result;
}

/**
 * Writes runDir/report/index.html from the metrics and the trained model. Without `study`, the
 * layer study is computed (and layer-study.json written) for the weights the run holds now.
 */
export async function writeRunReport(
  config: TrainConfig,
  built: BuiltRun,
  { study, step, log = defaultLog }: { study?: LayerStudyFile; step?: number; log?: (line: string) => void } = {},
): Promise<string> {
  const { datasets, parts } = built;
  const { train, test } = datasets;
  const metrics = readMetrics(join(config.runDir, 'metrics.jsonl'));
  let embedding;
  if (canStudyLayers(built)) {
    if (!study && config.eval.layerStudy.enabled) {
      study = await studyLayers(config, built, step ?? 0, log);
      writeLayerStudy(config.runDir, study);
    }
    const rows = firstRows(test!.size, config.eval.layerStudy.testImages);
    // UMAP needs more rows than its 15 neighbours; a handful of points would say nothing anyway.
    if (rows.length > 15) {
      const features = await extractFeatures(parts.backbone, test!, rows);
      try {
        embedding = await embed2d(features, labelsOf(test!, rows), { seed: config.seed, maxPoints: 1000 });
      } finally {
        features.dispose();
      }
    } else {
      log(`report: no embedding figure (${rows.length} test images; UMAP needs more than 15)`);
    }
  }
  const files = await writeReport(join(config.runDir, 'report'), {
    title: `selfsup: ${config.preset ?? 'custom'} (${config.objective.scheme})`,
    metrics,
    layerStudy: study?.rows,
    embedding,
    classNames: train.classNames,
    notes: {
      preset: config.preset ?? 'custom',
      scheme: config.objective.scheme,
      backbone: config.model.backbone,
      seed: config.seed,
      epochs: config.train.epochs,
      batchSize: config.train.batchSize,
      ...rawPixelNote(metrics),
    },
  });
  log(`report: ${files.html}`);
  return files.html;
}

/** Why a run's features cannot be evaluated, and what would change that. */
export function whyNoEvaluation(config: TrainConfig, { train, test }: Datasets): string {
  if (train.labels[0] < 0) return `${config.data.path ?? train.name} has no labels (no class sub-folders); put the images in one sub-folder per class to evaluate`;
  if (!test) return 'there is no test split; set data.testPath (a labelled test folder) or data.testFraction > 0';
  return 'the dataset cannot be evaluated';
}

/** The resolved config a run directory was started with, pointed at that directory (wherever it is now). */
export function readRunConfig(dir: string): TrainConfig {
  assertRunDir(dir);
  return { ...configSchema.parse(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))), runDir: dir };
}

/** The raw-pixel kNN baseline of the run's last evaluation, for the report's run table. */
function rawPixelNote(metrics: readonly Record<string, unknown>[]): Record<string, string> {
  const last = [...metrics].reverse().find((r) => typeof r.rawPixelKnnAccuracy === 'number');
  return last ? { 'kNN, raw pixels (baseline)': `${(100 * (last.rawPixelKnnAccuracy as number)).toFixed(2)}%` } : {};
}

export function assertRunDir(dir: string): void {
  if (!existsSync(join(dir, 'config.json'))) {
    throw new TrainingError({
      code: 'RUN_DIR_MISSING',
      problem: `${dir} is not a selfsup run directory (no config.json)`,
      fix: 'pass --run-dir of a run started with `selfsup train`',
    });
  }
}
