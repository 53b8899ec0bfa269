import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { BACKEND_NAMES, SelfsupError } from '@selfsup/core';
import { DATASET_NAMES, fetchDataset, verifyDataset } from '@selfsup/datasets';
import { overrideAt, parseOverride, resolveConfig } from './config/load';
import { PRESET_NAMES } from './config/presets';
import type { TrainConfig } from './config/schema';
import { buildRun } from './build';
import { datasetProgressPrinter, knnMonitor, knnSplits, readRunConfig, runTraining, whyNoEvaluation, writeRunReport } from './run';
import { Trainer } from './trainer';
import { formatStatus, runWorker, studyStatus, submitStudy } from './queue/queue';
import { planStudy, resolveStudy, type StudyConfig } from './study/config';
import { STUDY_PRESET_NAMES } from './study/presets';
import { runStudy, writeStudyResults } from './study/run-study';
import type { StudyFile } from './study/types';
import { formatStudyTable } from './study/table';
import { EXPORT_FORMATS, type ExportFormat } from './export-run';
import { embedCommand, exportCommand, formatSearch, searchCommand, type EmbedFlags, type SearchFlags } from './use-commands';

const log = (line: string) => process.stderr.write(`${line}\n`);

function number(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError(`"${value}" is not a number.`);
  return parsed;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface TrainFlags {
  preset?: string;
  config?: string;
  set: string[];
  epochs?: number;
  batchSize?: number;
  lr?: number;
  scheme?: string;
  backend?: string;
  seed?: number;
  runDir?: string;
  maxSteps?: number;
  chunkSize?: number;
  trainSubset?: number;
  data?: string;
  resume?: boolean;
  printConfig?: boolean;
  progress: boolean;
}

/** The common flags, as config overrides (only those given). */
function flagOverrides(flags: TrainFlags): Record<string, unknown>[] {
  const pairs: [string, unknown][] = [
    ['train.epochs', flags.epochs],
    ['train.batchSize', flags.batchSize],
    ['optimizer.lr', flags.lr],
    ['objective.scheme', flags.scheme],
    ['backend', flags.backend],
    ['seed', flags.seed],
    ['runDir', flags.runDir],
    ['train.maxSteps', flags.maxSteps],
    ['train.chunkSize', flags.chunkSize],
    ['data.trainSubset', flags.trainSubset],
    ['data.name', flags.data === undefined ? undefined : 'folder'],
    ['data.path', flags.data],
  ];
  return pairs
    .filter(([, value]) => value !== undefined)
    .map(([path, value]) => overrideAt(path, value));
}

function configFromFlags(flags: TrainFlags): TrainConfig {
  // --resume without other config: continue the run directory's own config.
  if (flags.resume && flags.runDir && !flags.config && !flags.preset) {
    return readRunConfig(flags.runDir);
  }
  return resolveConfig({
    preset: flags.preset ?? (flags.config ? undefined : 'quick'),
    file: flags.config,
    overrides: [...flags.set.map(parseOverride), ...flagOverrides(flags)],
  });
}

export function buildCli(): Command {
  const program = new Command('selfsup')
    .description('Self-supervised contrastive learning (SimCLR and the head-as-objective scheme) on TensorFlow.js')
    .showHelpAfterError();

  program
    .command('train')
    .description('pretrain a backbone; writes metrics.jsonl, checkpoints/, config.json, environment.json and report/ to the run directory')
    .option('-p, --preset <name>', `start from a preset: ${PRESET_NAMES.join(', ')} (default quick)`)
    .option('-c, --config <file>', 'JSON or YAML config (fields override the preset)')
    .option('-s, --set <key=value>', 'override any field, e.g. --set head.dims=[512,128] (repeatable)', collect, [])
    .option('--epochs <n>', 'train.epochs', number)
    .option('--batch-size <n>', 'train.batchSize (images; each gives two views)', number)
    .option('--lr <x>', 'optimizer.lr (base, before batch-size scaling)', number)
    .option('--scheme <joint|parametric>', 'objective.scheme')
    .option('--backend <name>', `auto, ${BACKEND_NAMES.join(', ')}`)
    .option('--seed <n>', 'seed of every random stream', number)
    .option('--run-dir <dir>', 'where the run writes (default runs/latest)')
    .option('--max-steps <n>', 'stop after this many steps', number)
    .option('--chunk-size <n>', 'GradCache: views per backward pass (for batches beyond memory)', number)
    .option('--train-subset <n>', 'train on a seeded subset of this many images', number)
    .option('--data <folder>', 'train on an image folder (class sub-folders, or flat for unlabeled); 10% held out for evaluation (data.testFraction, data.testPath)')
    .option('--resume', 'continue from the newest checkpoint in --run-dir')
    .option('--print-config', 'print the resolved config and exit')
    .option('--no-progress', 'no progress bar')
    .action(async (flags: TrainFlags) => {
      const config = configFromFlags(flags);
      if (flags.printConfig) {
        process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
        return;
      }
      log(`selfsup train: preset ${config.preset ?? 'custom'}, run directory ${config.runDir}`);
      const result = await runTraining(config, { resume: flags.resume, progress: flags.progress });
      if (result.summary.interrupted) process.exitCode = 130;
    });

  program
    .command('eval')
    .description("kNN accuracy of a run's newest checkpoint on the test split")
    .requiredOption('--run-dir <dir>', 'a run directory written by selfsup train')
    .action(async ({ runDir }: { runDir: string }) => {
      const { config, built, step } = await loadRun(runDir);
      const { bank, query } = knnSplits(config, built.datasets);
      if (!query || built.datasets.train.labels[0] < 0) {
        throw new SelfsupError({ code: 'EVAL_NO_TEST', problem: `run ${runDir} cannot be evaluated`, fix: whyNoEvaluation(config, built.datasets) });
      }
      const accuracy = await knnMonitor(built.parts.backbone, bank, query, config);
      process.stdout.write(`${JSON.stringify({ runDir, step, knnAccuracy: accuracy })}\n`);
    });

  program
    .command('report')
    .description("(re)write a run's HTML report from its metrics and newest checkpoint")
    .requiredOption('--run-dir <dir>', 'a run directory written by selfsup train')
    .action(async ({ runDir }: { runDir: string }) => {
      const { config, built, step } = await loadRun(runDir);
      await writeRunReport(config, built, { step });
    });

  program
    .command('study')
    .argument('[action]', 'run (default): run the study here, or submit it with --queue; status: where each run stands; report: study.json and study/index.html from the runs done', 'run')
    .description('a head study: every (arm, seed) as a run in <study-dir>/runs/<arm>/seed-<seed>, then study.json and study/index.html; rerun to resume')
    .option('-p, --preset <name>', `start from a study preset: ${STUDY_PRESET_NAMES.join(', ')}`)
    .option('-c, --config <file>', "JSON or YAML study config (fields replace the preset's)")
    .option('-s, --set <key=value>', 'override a field of every run config, e.g. --set train.epochs=4 (repeatable)', collect, [])
    .option('--seeds <list>', 'comma-separated seeds, e.g. 0,1,2,3,4', (v: string) => v.split(',').map((x) => number(x.trim())))
    .option('--backend <name>', 'backend of every run')
    .option('--study-dir <dir>', 'where the study writes (default runs/study-<name>)')
    .option('--queue <url>', 'submit the runs to a BullMQ queue on Redis (redis://host:port/db) for `selfsup worker`s instead of running them here')
    .option('--no-progress', 'no per-run progress bars')
    .action(async (action: string, flags: StudyFlags) => {
      if (!['run', 'status', 'report'].includes(action)) {
        throw new SelfsupError({ code: 'STUDY_BAD_ACTION', problem: `unknown study action "${action}"`, fix: 'use run, status or report' });
      }
      const study = studyFromFlags(flags, action !== 'run');
      const studyDir = flags.studyDir ?? study.studyDir ?? `runs/study-${study.name}`;
      if (action === 'status') {
        process.stdout.write(`${formatStatus(await studyStatus(study, { studyDir, queue: flags.queue }))}\n`);
      } else if (action === 'report') {
        const { file } = await writeStudyResults(study, studyDir, planStudy(study, studyDir), log);
        printStudyTables(file);
      } else if (flags.queue) {
        await submitStudy(study, { queue: flags.queue, studyDir, log });
      } else {
        const result = await runStudy(study, { studyDir, progress: flags.progress, log });
        if (result.complete) printStudyTables(result.study!);
        else process.exitCode = 130;
      }
    });

  program
    .command('worker')
    .description("train a queue's runs one at a time (one worker per device); checkpoints go to --run-root, which every worker must see")
    .requiredOption('--queue <url>', 'the BullMQ queue on Redis: redis://host:port/db')
    .requiredOption('--run-root <dir>', 'directory that holds the study directories (shared by all workers)')
    .option('--backend <name>', "this worker's backend (default auto)")
    .option('--lock-duration <ms>', 'a dead worker\'s run goes back to the queue after this long (default 60000)', number)
    .option('--exit-when-empty', 'exit once no run is waiting or running')
    .option('--no-progress', 'no per-run progress bars')
    .action(async (flags: { queue: string; runRoot: string; backend?: TrainConfig['backend']; lockDuration?: number; exitWhenEmpty?: boolean; progress: boolean }) => {
      await runWorker({ ...flags, log });
    });

  program
    .command('embed')
    .description("embed images with a run's trained model: the vectors (.safetensors or .npy) and <name>.json beside them (labels, files, layer)")
    .requiredOption('--run-dir <dir>', 'a run directory written by selfsup train')
    .requiredOption('--images <source>', 'an image folder (class sub-folders give labels), or dataset:split, e.g. cifar10:test')
    .requiredOption('--out <file>', 'embeddings.safetensors (embeddings [n, d], labels [n]) or embeddings.npy (float32 [n, d])')
    .option('--layer <name>', 'features (default: the pooled backbone output h), backbone.<stage>, head.<i> or head (z)')
    .option('--batch-size <n>', 'images per forward pass (default 256)', number)
    .option('--limit <n>', 'only the first n images', number)
    .option('--backend <name>', "backend (default: the run's)")
    .option('--no-progress', 'no progress bar')
    .action(async (flags: EmbedFlags) => {
      await embedCommand(flags, log);
    });

  program
    .command('search')
    .description('nearest neighbours by cosine similarity in embeddings written by selfsup embed')
    .requiredOption('--embeddings <file>', 'a file written by selfsup embed')
    .option('--query <image>', 'an image to embed with the same run and layer (repeatable)', collect, [])
    .option('--row <n>', 'a row of the embeddings as the query, itself left out (repeatable; comma lists too)', (v: string, prev: number[]) => [...prev, ...v.split(',').map((x) => number(x.trim()))], [] as number[])
    .option('-k, --k <n>', 'neighbours per query (default 5)', number, 5)
    .option('--json', 'one JSON object per query instead of tables')
    .option('--backend <name>', "backend for embedding --query images (default: the run's)")
    .action(async (flags: SearchFlags) => {
      if (flags.query.length === 0 && flags.row.length === 0) {
        throw new SelfsupError({ code: 'SEARCH_NO_QUERY', problem: 'selfsup search got no query', fix: 'pass --query <image> or --row <n>' });
      }
      const results = await searchCommand(flags);
      process.stdout.write(flags.json ? results.map((r) => JSON.stringify(r)).join('\n') + '\n' : `${formatSearch(results)}\n`);
    });

  program
    .command('export')
    .description("write a run's trained backbone for another runtime: ONNX, PyTorch/torchvision (safetensors) or tfjs weights")
    .requiredOption('--run-dir <dir>', 'a run directory written by selfsup train')
    .requiredOption('--format <format>', `${EXPORT_FORMATS.join(', ')}`, (v: string) => {
      if (!(EXPORT_FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown format "${v}"; use ${EXPORT_FORMATS.join(', ')}.`);
      return v as ExportFormat;
    })
    .option('--out <path>', 'file (onnx, torchvision) or directory (tfjs); default <run-dir>/export/backbone.onnx, backbone.safetensors or tfjs/')
    .option('--with-head', 'onnx: also the projection head (output "projection")')
    .action(async (flags: { runDir: string; format: ExportFormat; out?: string; withHead?: boolean }) => {
      await exportCommand(flags, log);
    });

  const datasets = program.command('datasets').description('fetch or verify datasets ahead of time (offline machines, CI caches)');
  for (const [verb, run] of [
    ['fetch', fetchDataset],
    ['verify', verifyDataset],
  ] as const) {
    datasets
      .command(`${verb} <name>`)
      .description(`${verb} a dataset into the cache: ${DATASET_NAMES.join(', ')}`)
      .option('--cache-dir <dir>', 'cache directory (default $SELFSUP_CACHE_DIR or ~/.cache/selfsup)')
      .action(async (name: string, { cacheDir }: { cacheDir?: string }) => {
        const dir = await run(name, { cacheDir, onProgress: datasetProgressPrinter(log) });
        process.stdout.write(`${name}: ${verb === 'fetch' ? 'ready' : 'verified'} in ${dir}\n`);
      });
  }
  return program;
}

interface StudyFlags {
  preset?: string;
  config?: string;
  set: string[];
  seeds?: number[];
  backend?: string;
  studyDir?: string;
  queue?: string;
  progress: boolean;
}

/** The study of the flags; status and report may instead read the one a study directory holds. */
function studyFromFlags(flags: StudyFlags, fromStudyDir: boolean): StudyConfig {
  if (!flags.preset && !flags.config) {
    const saved = flags.studyDir && join(flags.studyDir, 'study-config.json');
    if (fromStudyDir && saved && existsSync(saved)) return resolveStudy({ file: saved });
    throw new SelfsupError({
      code: 'STUDY_NO_CONFIG',
      problem: 'selfsup study needs a study',
      fix: `pass --preset (${STUDY_PRESET_NAMES.join(', ')}) or --config <file>${fromStudyDir ? ', or --study-dir of a study that ran or was submitted' : ''}`,
    });
  }
  return resolveStudy({
    preset: flags.preset,
    file: flags.config,
    overrides: flags.seeds ? [{ seeds: flags.seeds }] : [],
    base: [...flags.set.map(parseOverride), ...(flags.backend ? [{ backend: flags.backend }] : [])],
  });
}

function printStudyTables(study: StudyFile): void {
  process.stdout.write(`${formatStudyTable(study, 'knnAccuracy')}\n\n${formatStudyTable(study, 'linearAccuracy')}\n`);
}

/** A finished (or interrupted) run: its config, rebuilt parts and the newest checkpoint loaded. */
async function loadRun(runDir: string) {
  const config = readRunConfig(runDir);
  const built = await buildRun(config, { onProgress: datasetProgressPrinter(log), resume: true, progress: false });
  const step = new Trainer(built.parts, { ...built.options, resume: true, progress: false }).restoreLatest();
  return { config, built, step };
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof SelfsupError) {
      log(`error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    log(`unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(2);
  },
);
