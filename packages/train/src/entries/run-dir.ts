// @selfsup/train/run-dir: the files of a run directory — checkpoints and metrics.jsonl.
export {
  assignCheckpoint,
  checkpointNames,
  decodeCheckpoint,
  encodeCheckpoint,
  loadLatestCheckpoint,
  saveCheckpoint,
  type Checkpoint,
  type CheckpointTensor,
} from '../checkpoint';
export { MetricsLog, readMetrics } from '../metrics';
export type { MetricsRecord } from '@selfsup/eval/report';
export { readEmbeddings, writeEmbeddings, type EmbeddingsIndex } from '../embeddings-file';
