import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { exportTorchWeights, saveWeights } from '@selfsup/backbones';
import type { MlpHead } from '@selfsup/losses';
import { exportOnnx } from '@selfsup/onnx';
import { TrainingError } from './errors';
import { asBuffer, saveDirectoryAtomically } from './files';
import { loadTrainedModel } from './trained';

export const EXPORT_FORMATS = ['onnx', 'torchvision', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRunOptions {
  format: ExportFormat;
  /** File (onnx, torchvision) or directory (tfjs); default `<runDir>/export/backbone.onnx|.safetensors` or `export/tfjs`. */
  out?: string;
  /** ONNX only: append the projection head (output `projection`); needs an MLP head. */
  withHead?: boolean;
}

const DEFAULT_OUT: Record<ExportFormat, string> = { onnx: 'backbone.onnx', torchvision: 'backbone.safetensors', tfjs: 'tfjs' };

/**
 * Writes a trained run's backbone (newest checkpoint) in another runtime's format: ONNX (opset
 * 17, input NCHW in [0, 1]), a PyTorch state dict in safetensors with torchvision's names, or
 * tfjs weights (`model.json` + `weights.bin`) that `loadBackbone(url)` reads. Everything is
 * checked before anything is written, and each file is written whole or not at all.
 */
export async function exportRun(runDir: string, options: ExportRunOptions): Promise<{ out: string; step: number }> {
  const { format, withHead = false } = options;
  if (!EXPORT_FORMATS.includes(format)) {
    throw new TrainingError({ code: 'EXPORT_BAD_FORMAT', problem: `unknown export format ${JSON.stringify(format)}`, fix: `use --format ${EXPORT_FORMATS.join(', ')}` });
  }
  if (withHead && format !== 'onnx') {
    throw new TrainingError({ code: 'EXPORT_HEAD_FORMAT', problem: `--with-head needs --format onnx, not ${format}`, fix: 'export the head to ONNX, or drop --with-head (the backbone is what downstream tasks use)' });
  }
  const out = resolve(options.out ?? join(runDir, 'export', DEFAULT_OUT[format]));
  // Exporting needs no speed: the cpu backend is always there and exact.
  const model = await loadTrainedModel(runDir, { backend: 'cpu' });
  try {
    const { backbone, head, config } = model;
    mkdirSync(dirname(out), { recursive: true });
    if (format === 'onnx') {
      const denseLayers = withHead ? (head as Partial<MlpHead>).denseLayers?.() : undefined;
      if (withHead && !denseLayers) {
        throw new TrainingError({
          code: 'EXPORT_HEAD_UNSUPPORTED',
          problem: `the run's head (head.type ${config.head.type}) has no layers ONNX export can express`,
          fix: 'export the backbone alone (drop --with-head); mlp and linear heads export',
        });
      }
      const bytes = await exportOnnx(backbone, { head: denseLayers });
      writeFileAtomic.sync(out, asBuffer(bytes));
    } else if (format === 'torchvision') {
      writeFileAtomic.sync(out, asBuffer(exportTorchWeights(backbone)));
    } else {
      await saveDirectoryAtomically(out, (dir) => saveWeights(backbone, dir));
    }
    return { out, step: model.step };
  } finally {
    model.dispose();
  }
}
