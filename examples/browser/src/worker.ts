/**
 * The training worker: everything tfjs runs here, off the page's thread, so the page stays
 * responsive while a step runs. It trains SimCLR (joint, or the head as a parametric part of the
 * objective) on the images the page sends, posts each step's loss, learning rate and views/s,
 * the kNN monitor and a UMAP of the features, and then answers search, export and import.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { simclrCifar, twoViews } from '@selfsup/augment';
import { buildBackbone, exportTorchWeightsAsync, importTorchWeightsSync, smallConvnet, type BackboneSpec, type BuiltBackbone } from '@selfsup/backbones';
import { createRng, decodeSafetensors, useBackend, type BackendSelection } from '@selfsup/core';
import { maxAbsDiff } from '@selfsup/core/testing';
import { epochOrder, ImageDataset } from '@selfsup/datasets/memory';
import { embed, knnAccuracy } from '@selfsup/eval';
import { contrastiveStep, infoNCE, joint, mlpHead, parametric, type ProjectionHead } from '@selfsup/losses';
import { BN_AND_BIAS, sgd, warmupCosine } from '@selfsup/optim';
import { registerWasmTrainingKernels } from '@selfsup/wasm-kernels';
import { UMAP } from 'umap-js';
import { PROBE_ROWS, type BackendChoice, type EmbeddingPoint, type FromWorker, type ImportRequest, type RawImages, type ToWorker, type TrainRequest } from './protocol';

const KNN_K = 20;
const TEMPERATURE = 0.5;
/** Images of the fixed held-out batch whose loss is measured before and after training. */
const HELD_OUT_IMAGES = 64;
const EMBED_BATCH = 256;

/** What search, export and import work on: the last trained (or loaded) backbone and its gallery. */
interface Session {
  backbone: BuiltBackbone;
  gallery: ImageDataset;
  /** L2-normalised gallery features `[rows, d]`, for cosine search. */
  galleryFeatures: tf.Tensor2D;
  /** Features of the first gallery rows right after training, to compare a reloaded backbone with. */
  probe?: Float32Array;
}

let session: Session | undefined;
let backend: BackendSelection | undefined;
let stopRequested = false;

const post = (message: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

self.onmessage = async ({ data }: MessageEvent<ToWorker>) => {
  try {
    if (data.type === 'train') await train(data);
    else if (data.type === 'stop') stopRequested = true;
    else if (data.type === 'search') await search(data.row, data.k);
    else if (data.type === 'export') await exportBackbone();
    else if (data.type === 'import') await importBackbone(data);
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};

/**
 * The backend the page asked for. wasm gets selfsup's training kernels (stock tfjs-wasm cannot
 * differentiate a convolution) and threads where the page is cross-origin isolated; a software
 * WebGPU adapter is accepted only when named, as `auto` never picks one.
 */
async function setUpBackend(choice: BackendChoice): Promise<BackendSelection> {
  if (backend) {
    if (choice === 'auto' || choice === backend.name) return backend;
    throw new Error(`this worker already runs on ${backend.name}; reload the page to switch to ${choice}`);
  }
  setWasmPaths(new URL('./wasm/', self.location.href).href);
  // Cross-origin isolated pages get tfjs' threaded binary, which sizes its pool itself (half of
  // navigator.hardwareConcurrency: it assumes two hyper-threads per core).
  registerWasmTrainingKernels();
  backend = await useBackend(choice === 'auto' ? 'auto' : choice);
  post({ type: 'backend', name: backend.name, detail: backend.reason });
  return backend;
}

function toDataset(raw: RawImages): ImageDataset {
  return new ImageDataset(raw.name, raw.pixels, raw.labels, raw.classNames, raw.height, raw.width, 3);
}

const isLabelled = (data: ImageDataset) => data.labels.length > 0 && data.labels.every((label) => label >= 0);

/** Eval-mode features of every row, one batch at a time (`embed`), as a tensor. */
async function features(backbone: BuiltBackbone, data: ImageDataset): Promise<tf.Tensor2D> {
  const { data: values, count, dim } = await embed(backbone, data, { batchSize: EMBED_BATCH });
  return tf.tensor2d(values, [count, dim]);
}

async function knn(backbone: BuiltBackbone, bank: ImageDataset, queries: ImageDataset, step: number): Promise<void> {
  const [bankFeatures, queryFeatures] = [await features(backbone, bank), await features(backbone, queries)];
  try {
    const { accuracy } = await knnAccuracy(bankFeatures, bank.labels, queryFeatures, queries.labels, { k: KNN_K });
    post({ type: 'knn', step, accuracy, k: KNN_K });
  } finally {
    tf.dispose([bankFeatures, queryFeatures]);
  }
}

/**
 * InfoNCE on one fixed batch of gallery images with fixed views (on CIFAR-10, test images that
 * training never sees): a loss without the step-to-step noise of new batches. Batch statistics
 * as in training; running statistics are left alone.
 */
async function heldOutLoss(backbone: BuiltBackbone, head: ProjectionHead, views: ReturnType<typeof twoViews>, gallery: ImageDataset): Promise<number> {
  const rows = Int32Array.from({ length: Math.min(HELD_OUT_IMAGES, gallery.size) }, (_, i) => i);
  const loss = tf.tidy(() => {
    const { images, labels } = gallery.toBatch(rows);
    labels.dispose();
    const [v1, v2] = views(images, createRng(1).fork('held-out views'));
    const apply = { training: true, updateStatistics: false };
    const z = head.apply(backbone.apply(tf.concat([v1, v2]), apply), apply);
    const [z1, z2] = tf.split(z, 2) as [tf.Tensor2D, tf.Tensor2D];
    return infoNCE(z1, z2, { temperature: TEMPERATURE });
  });
  const [value] = await loss.data();
  loss.dispose();
  return value;
}

async function train(request: TrainRequest): Promise<void> {
  stopRequested = false;
  await setUpBackend(request.backend);
  const { steps, batchSize, seed, scheme } = request;
  const trainSet = toDataset(request.train);
  const gallery = request.test ? toDataset(request.test) : trainSet;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps is ${steps}; train for a whole number of steps, 1 or more`);
  if (!Number.isInteger(batchSize) || batchSize < 2) throw new Error(`images per step is ${batchSize}; use a whole number, 2 or more (each image gives two views)`);
  if (trainSet.size < batchSize) throw new Error(`${trainSet.size} training images for a batch of ${batchSize}; add images or lower the batch size`);
  const monitor = request.knnEvery > 0 && isLabelled(trainSet) && isLabelled(gallery) && gallery !== trainSet;

  const rng = createRng(seed);
  const backbone = smallConvnet({ widths: request.widths, rng: rng.fork('backbone') });
  // The learning-rate rule of the train README (base 0.3 · B/256 for the small convnet), with
  // SimCLR's warm-up and cosine decay; the head's inner optimizer is the backbone's recipe.
  const lr = (0.3 * batchSize) / 256;
  const groups = [{ match: BN_AND_BIAS, weightDecay: 0 }];
  const warmupSteps = Math.min(10, Math.floor(steps / 10));
  const optimizer = sgd({ lr: warmupCosine({ lr, warmupSteps, totalSteps: steps }), momentum: 0.9, weightDecay: 5e-4, groups });
  const headOptimizer = scheme === 'parametric' ? sgd({ lr, momentum: 0.9, weightDecay: 5e-4, groups }) : undefined;
  const head = mlpHead({ dims: [backbone.featureDim, 128, 64], batchNorm: true, rng: rng.fork('head') });
  const objective = headOptimizer
    ? parametric(head, { temperature: TEMPERATURE, innerSteps: 5, optimizer: headOptimizer })
    : joint(head, { temperature: TEMPERATURE });
  const views = twoViews(simclrCifar());

  let step = 0;
  try {
    post({ type: 'heldOut', step: 0, loss: await heldOutLoss(backbone, head, views, gallery) });
    if (monitor) await knn(backbone, trainSet, gallery, 0);
    const perEpoch = Math.floor(trainSet.size / batchSize);
    for (; step < steps && !stopRequested; step++) {
      const epoch = Math.floor(step / perEpoch);
      const start = (step % perEpoch) * batchSize;
      const rows = epochOrder(trainSet.size, seed, epoch).subarray(start, start + batchSize);
      const stepLr = optimizer.currentLearningRate();
      const began = performance.now();
      const { loss, innerLosses } = tf.tidy(() => {
        const { images, labels } = trainSet.toBatch(rows);
        labels.dispose();
        const [v1, v2] = views(images, rng.fork('views').fork(String(step)));
        return contrastiveStep({ backbone, objective, optimizer }, v1, v2);
      });
      // Reading the loss waits for the step: views/s is the step's own time.
      const [value] = await loss.data();
      tf.dispose([loss, innerLosses]);
      if (!Number.isFinite(value)) throw new Error(`the loss is ${value} at step ${step + 1}; lower the learning rate or the batch size`);
      const seconds = (performance.now() - began) / 1000;
      post({ type: 'step', step: step + 1, steps, loss: value, lr: stepLr, viewsPerSecond: (2 * batchSize) / seconds });
      if (monitor && (step + 1) % request.knnEvery === 0 && step + 1 < steps) await knn(backbone, trainSet, gallery, step + 1);
      // Let a 'stop' (or a search) message in between steps.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    post({ type: 'heldOut', step, loss: await heldOutLoss(backbone, head, views, gallery) });
    if (monitor) await knn(backbone, trainSet, gallery, step);
  } catch (error) {
    backbone.dispose();
    throw error;
  } finally {
    // The head and optimizer states served training only; the backbone stays for search.
    objective.dispose();
    optimizer.dispose();
    headOptimizer?.dispose();
  }
  await startSession(backbone, gallery);
  post({ type: 'done', steps: step, stopped: stopRequested, probe: session!.probe! });
}

/**
 * Keeps the backbone for search and export, with its gallery features, and posts their UMAP.
 * Returns this backbone's features of the first gallery rows; the session keeps `probe` (the
 * features to compare a reloaded backbone with) when given, else those.
 */
async function startSession(backbone: BuiltBackbone, gallery: ImageDataset, probe?: Float32Array): Promise<Float32Array> {
  const raw = await features(backbone, gallery);
  const galleryFeatures = tf.tidy(() => tf.div(raw, tf.maximum(tf.norm(raw, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D);
  const firstRows = tf.slice(raw, [0, 0], [Math.min(PROBE_ROWS, gallery.size), -1]);
  const ownProbe = (await firstRows.data()) as Float32Array;
  firstRows.dispose();
  const previous = session;
  session = { backbone, gallery, galleryFeatures, probe: probe ?? ownProbe };
  if (previous) {
    previous.galleryFeatures.dispose();
    if (previous.backbone !== backbone) previous.backbone.dispose();
  }
  post({ type: 'status', text: 'embedding the gallery in 2-D (UMAP)…' });
  post({ type: 'embedding', points: await umap2d(await raw.array(), gallery) });
  raw.dispose();
  return ownProbe;
}

async function umap2d(rows: number[][], gallery: ImageDataset): Promise<EmbeddingPoint[]> {
  const random = createRng(0);
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, rows.length - 1), minDist: 0.1, random: () => random.float() });
  const xy = await umap.fitAsync(rows);
  return xy.map(([x, y], row) => ({ x, y, label: gallery.labels[row], row }));
}

function requireSession(what: string): Session {
  if (!session) throw new Error(`${what} needs a backbone: train one first, or load a downloaded one`);
  return session;
}

/** The k gallery rows most similar (cosine) to `row`, itself excluded. */
async function search(row: number, k: number): Promise<void> {
  const { galleryFeatures } = requireSession('search');
  const { values, indices } = tf.tidy(() => {
    const query = tf.slice(galleryFeatures, [row, 0], [1, -1]);
    const similarities = tf.reshape(tf.matMul(galleryFeatures, query, false, true), [-1]);
    return tf.topk(similarities, Math.min(k + 1, galleryFeatures.shape[0]));
  });
  const [sims, rows] = [await values.data(), await indices.data()];
  tf.dispose([values, indices]);
  const hits = [...rows].map((r, i) => ({ r, s: sims[i] })).filter((hit) => hit.r !== row).slice(0, k);
  post({ type: 'neighbours', row, rows: hits.map((h) => h.r), similarities: hits.map((h) => h.s) });
}

/** The backbone as safetensors (PyTorch names, OIHW), with its spec so that it can be rebuilt. */
async function exportBackbone(): Promise<void> {
  const bytes = await exportTorchWeightsAsync(requireSession('download').backbone);
  post({ type: 'exported', bytes }, [bytes.buffer]);
}

/**
 * Rebuilds a downloaded backbone from the spec in its metadata and loads its weights; when this
 * page trained one, compares their features on the first gallery rows.
 */
async function importBackbone(request: ImportRequest): Promise<void> {
  await setUpBackend(request.backend);
  const gallery = session?.gallery ?? toDataset(request.gallery);
  const trainedProbe = session?.probe;
  const specText = decodeSafetensors(request.bytes, 'the loaded file').metadata.selfsup_spec;
  if (!specText) throw new Error('the loaded file has no selfsup_spec in its metadata; load a backbone downloaded from this page (or written by exportTorchWeights)');
  // Another seed than training's: equal features afterwards come from the file, not the init.
  const backbone = buildBackbone(JSON.parse(specText) as BackboneSpec, { rng: createRng(987654321) });
  importTorchWeightsSync(backbone, request.bytes, {}, 'the loaded file');
  const probe = await startSession(backbone, gallery, trainedProbe);
  post({ type: 'imported', probe, maxAbsDiff: trainedProbe ? maxAbsDiff(probe, trainedProbe) : null });
}
