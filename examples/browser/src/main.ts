/**
 * The page: picks the data (a CIFAR-10 subset the server ships, or the user's own images),
 * starts training in a Web Worker, draws what the worker reports, and drives search, download
 * and reload. URL parameters preset the controls (`?backend=wasm&scheme=joint&steps=40&batch=64`)
 * and `autostart=1` starts training on load, which the headless-browser test uses.
 */
import { decodeImages, imagesToDataset } from '@selfsup/datasets/memory';
import { curve } from './charts';
import { CLASS_COLORS, drawScatter, imageCanvas } from './pictures';
import type { BackendChoice, FromWorker, PageState, RawImages, Scheme, ToWorker } from './protocol';

const page: PageState = { state: 'loading', steps: [], knn: [], heldOut: [], errors: [] };
(window as unknown as { selfsup: PageState }).selfsup = page;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const controls = {
  backend: $<HTMLSelectElement>('backend'),
  scheme: $<HTMLSelectElement>('scheme'),
  steps: $<HTMLInputElement>('steps'),
  batch: $<HTMLInputElement>('batch'),
  source: $<HTMLSelectElement>('source'),
};
for (const [name, element] of Object.entries(controls)) {
  const value = params.get(name);
  if (value != null) element.value = value;
}

const status = (text: string) => ($('status').textContent = text);
const charts = {
  loss: curve($('chart-loss'), 'loss (InfoNCE)', '#e15759'),
  lr: curve($('chart-lr'), 'learning rate', '#4e79a7'),
  speed: curve($('chart-speed'), 'views/s', '#59a14f'),
  knn: curve($('chart-knn'), 'kNN accuracy (%)', '#b07aa1'),
};

let cifar: { train: RawImages; test: RawImages } | undefined;
let userImages: RawImages | undefined;
let worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = ({ data }: MessageEvent<FromWorker>) => onWorkerMessage(data);
worker.onerror = (event) => fail(event.message);
const send = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);

function fail(message: string): void {
  page.state = 'error';
  page.errors.push(message);
  status(`error: ${message}`);
  setBusy(false);
}

function setBusy(busy: boolean): void {
  $<HTMLButtonElement>('train').disabled = busy;
  $<HTMLButtonElement>('stop').disabled = !busy;
}

/** The CIFAR-10 subset: raw uint8 pixels and labels written by `pnpm --filter @selfsup/example-browser data`. */
async function loadCifar(): Promise<{ train: RawImages; test: RawImages }> {
  const response = await fetch('data/cifar10/meta.json');
  if (!response.ok) throw new Error('data/cifar10/meta.json is missing: run `pnpm --filter @selfsup/example-browser data` (or `dev`), which writes the CIFAR-10 subset');
  const meta = await response.json();
  const split = async (name: 'train' | 'test'): Promise<RawImages> => {
    const part = meta.splits[name];
    const [pixels, labels] = await Promise.all(
      [part.images, part.labels].map(async (file: string) => new Uint8Array(await (await fetch(`data/cifar10/${file}`)).arrayBuffer())),
    );
    return { name: `cifar10/${name}`, pixels, labels: Int32Array.from(labels), classNames: meta.classNames, height: meta.height, width: meta.width };
  };
  return { train: await split('train'), test: await split('test') };
}

/** The first `count` images (the page's `?train=` / `?test=` parameters make runs smaller). */
function firstImages(images: RawImages, count: number | null): RawImages {
  if (count == null || count >= images.labels.length) return images;
  const size = images.height * images.width * 3;
  return { ...images, pixels: images.pixels.subarray(0, count * size), labels: images.labels.subarray(0, count) };
}

function showGallery(images: RawImages): void {
  const grid = $('gallery');
  grid.replaceChildren();
  const count = Math.min(48, images.labels.length);
  for (let row = 0; row < count; row++) {
    const picture = imageCanvas(images, row);
    picture.title = images.labels[row] >= 0 ? images.classNames[images.labels[row]] : `image ${row}`;
    picture.onclick = () => send({ type: 'search', row, k: 8 });
    grid.append(picture);
  }
}

function showLegend(classNames: readonly string[]): void {
  $('legend').replaceChildren(
    ...classNames.map((name, i) => {
      const item = document.createElement('span');
      item.innerHTML = `<i style="background:${CLASS_COLORS[i % CLASS_COLORS.length]}"></i>${name}`;
      return item;
    }),
  );
}

/** The images the page trains on and the gallery it shows, searches and evaluates. */
function chosenData(): { train: RawImages; test?: RawImages; gallery: RawImages } {
  if (controls.source.value === 'files') {
    if (!userImages) throw new Error('no images chosen: pick or drop some images first, or train on CIFAR-10');
    return { train: userImages, gallery: userImages };
  }
  if (!cifar) throw new Error('the CIFAR-10 subset is not loaded');
  return { train: cifar.train, test: cifar.test, gallery: cifar.test };
}

function startTraining(): void {
  try {
    const { train, test, gallery } = chosenData();
    page.state = 'training';
    page.steps = [];
    page.knn = [];
    page.heldOut = [];
    Object.values(charts).forEach((chart) => chart.clear());
    showGallery(gallery);
    setBusy(true);
    const steps = Number(controls.steps.value);
    send({
      type: 'train',
      backend: controls.backend.value as BackendChoice,
      scheme: controls.scheme.value as Scheme,
      steps,
      batchSize: Number(controls.batch.value),
      seed: 0,
      widths: (params.get('widths') ?? '32,64,128').split(',').map(Number) as [number, number, number],
      train,
      test,
      knnEvery: Number(params.get('knnEvery') ?? 50),
    });
    status(`starting ${steps} steps…`);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

function onWorkerMessage(message: FromWorker): void {
  switch (message.type) {
    case 'backend':
      page.backend = { name: message.name, detail: message.detail };
      $('backend-line').textContent = `backend: ${message.name} — ${message.detail}`;
      break;
    case 'step': {
      page.steps.push({ step: message.step, loss: message.loss, lr: message.lr, viewsPerSecond: message.viewsPerSecond });
      charts.loss.push(message.step, message.loss);
      charts.lr.push(message.step, message.lr);
      charts.speed.push(message.step, message.viewsPerSecond);
      status(`step ${message.step}/${message.steps}: loss ${message.loss.toFixed(4)}, ${message.viewsPerSecond.toFixed(0)} views/s`);
      break;
    }
    case 'knn':
      page.knn.push({ step: message.step, accuracy: message.accuracy });
      charts.knn.push(message.step, 100 * message.accuracy);
      $('knn-line').textContent = `kNN (k=${message.k}) at step ${message.step}: ${(100 * message.accuracy).toFixed(1)}% (chance 10%)`;
      break;
    case 'heldOut': {
      page.heldOut.push({ step: message.step, loss: message.loss });
      const [first] = page.heldOut;
      $('held-out-line').textContent =
        `held-out batch loss: ${first.loss.toFixed(4)} before training` + (message.step > 0 ? `, ${message.loss.toFixed(4)} after ${message.step} steps` : '');
      break;
    }
    case 'status':
      status(message.text);
      break;
    case 'embedding': {
      page.embeddingPoints = message.points.length;
      showLegend(chosenData().gallery.classNames);
      const canvas = $<HTMLCanvasElement>('embedding');
      const pick = drawScatter(canvas, message.points);
      canvas.onclick = (event) => {
        const row = pick(event);
        if (row !== undefined) send({ type: 'search', row, k: 8 });
      };
      break;
    }
    case 'done':
      page.trained = { steps: message.steps, probe: Array.from(message.probe) };
      page.state = 'done';
      setBusy(false);
      status(`${message.stopped ? 'stopped' : 'done'} after ${message.steps} steps; click an image to search by the learned features`);
      break;
    case 'neighbours': {
      page.neighbours = { row: message.row, rows: message.rows, similarities: message.similarities };
      const { gallery } = chosenData();
      const strip = $('neighbours');
      strip.replaceChildren(imageCanvas(gallery, message.row));
      message.rows.forEach((row, i) => {
        const picture = imageCanvas(gallery, row);
        picture.title = `similarity ${message.similarities[i].toFixed(3)}`;
        strip.append(picture);
      });
      break;
    }
    case 'exported': {
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([message.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      link.download = 'backbone.safetensors';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      break;
    }
    case 'imported':
      page.imported = { probe: Array.from(message.probe), maxAbsDiff: message.maxAbsDiff };
      status('backbone loaded; click an image to search by its features');
      $('load-line').textContent =
        message.maxAbsDiff === null
          ? 'loaded; search and the embedding now use it'
          : `loaded; its features differ from the trained backbone's by at most ${message.maxAbsDiff.toExponential(2)}`;
      break;
    case 'error':
      fail(message.message);
      break;
  }
}

async function useFiles(files: File[]): Promise<void> {
  const images = files.filter((file) => file.type.startsWith('image/'));
  if (images.length === 0) return fail('none of the dropped files is an image');
  status(`decoding ${images.length} images…`);
  const dataset = imagesToDataset(await decodeImages(images, { width: 32 }), { name: 'your images' });
  userImages = { name: dataset.name, pixels: dataset.images, labels: dataset.labels, classNames: [], height: 32, width: 32 };
  page.userImages = { count: dataset.size, firstPixels: Array.from(dataset.image(0)) };
  controls.source.value = 'files';
  showGallery(userImages);
  status(`${dataset.size} images ready (centre-cropped to 32×32); press Train`);
}

$('train').onclick = startTraining;
$('stop').onclick = () => send({ type: 'stop' });
$('download').onclick = () => send({ type: 'export' });
$<HTMLInputElement>('load').onchange = async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    const bytes = await file.arrayBuffer();
    send({ type: 'import', bytes, backend: controls.backend.value as BackendChoice, gallery: chosenData().gallery }, [bytes]);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
};
$<HTMLInputElement>('images').onchange = (event) => useFiles([...((event.target as HTMLInputElement).files ?? [])]).catch((e) => fail(String(e?.message ?? e)));
const drop = $('drop');
drop.ondragover = (event) => event.preventDefault();
drop.ondrop = (event) => {
  event.preventDefault();
  useFiles([...(event.dataTransfer?.files ?? [])]).catch((e) => fail(String(e?.message ?? e)));
};

try {
  const full = await loadCifar();
  const count = (name: string) => (params.get(name) == null ? null : Number(params.get(name)));
  cifar = { train: firstImages(full.train, count('train')), test: firstImages(full.test, count('test')) };
  showGallery(cifar.test);
  page.state = 'ready';
  status(`CIFAR-10 subset: ${cifar.train.labels.length} train, ${cifar.test.labels.length} test images; press Train`);
  if (params.get('autostart') === '1') startTraining();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
