/** Messages between the page (main thread) and the training worker, and the page's record. */

export type BackendChoice = 'auto' | 'webgpu' | 'wasm';
export type Scheme = 'joint' | 'parametric';

/** Images as the worker receives them: uint8 NHWC pixels, int32 labels (−1: none). */
export interface RawImages {
  name: string;
  pixels: Uint8Array;
  labels: Int32Array;
  classNames: string[];
  height: number;
  width: number;
}

export interface TrainRequest {
  type: 'train';
  backend: BackendChoice;
  scheme: Scheme;
  steps: number;
  /** Images per step (2× as many views). */
  batchSize: number;
  seed: number;
  /** Channels of the small convnet's three stages (default 32, 64, 128). */
  widths: [number, number, number];
  /** What SimCLR trains on. */
  train: RawImages;
  /** Labelled images for the kNN monitor, the embedding plot and search (default: `train`). */
  test?: RawImages;
  /** kNN monitor period in steps (also before the first step and after the last); 0: no monitor. */
  knnEvery: number;
}

export type ToWorker =
  | TrainRequest
  | { type: 'stop' }
  | { type: 'search'; row: number; k: number }
  | { type: 'export' }
  | ImportRequest;

/** A downloaded backbone to load; `backend` and `gallery` serve a page that has not trained. */
export interface ImportRequest {
  type: 'import';
  bytes: ArrayBuffer;
  backend: BackendChoice;
  gallery: RawImages;
}

export interface EmbeddingPoint {
  x: number;
  y: number;
  label: number;
  row: number;
}

export type FromWorker =
  | { type: 'backend'; name: string; detail: string }
  | { type: 'step'; step: number; steps: number; loss: number; lr: number; viewsPerSecond: number }
  | { type: 'knn'; step: number; accuracy: number; k: number }
  /** InfoNCE of a fixed held-out batch (gallery images, fixed views), before and after training. */
  | { type: 'heldOut'; step: number; loss: number }
  | { type: 'status'; text: string }
  | { type: 'embedding'; points: EmbeddingPoint[] }
  | { type: 'done'; steps: number; stopped: boolean; probe: Float32Array }
  | { type: 'neighbours'; row: number; rows: number[]; similarities: number[] }
  | { type: 'exported'; bytes: Uint8Array }
  /** `maxAbsDiff`: against the features of the backbone trained in this page (null if none). */
  | { type: 'imported'; probe: Float32Array; maxAbsDiff: number | null }
  | { type: 'error'; message: string };

/** Gallery rows whose features the page compares after a download and reload. */
export const PROBE_ROWS = 64;

/** What the page did, for tests and the console: `window.selfsup`. */
export interface PageState {
  state: 'loading' | 'ready' | 'training' | 'done' | 'error';
  backend?: { name: string; detail: string };
  steps: { step: number; loss: number; lr: number; viewsPerSecond: number }[];
  knn: { step: number; accuracy: number }[];
  heldOut: { step: number; loss: number }[];
  errors: string[];
  trained?: { steps: number; probe: number[] };
  imported?: { probe: number[]; maxAbsDiff: number | null };
  neighbours?: { row: number; rows: number[]; similarities: number[] };
  userImages?: { count: number; firstPixels: number[] };
  embeddingPoints?: number;
}
