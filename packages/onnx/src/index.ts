/**
 * @selfsup/onnx: export a selfsup backbone (and an MLP projection head) as an ONNX model, opset 17.
 * @packageDocumentation
 */
export { exportOnnx, type OnnxExportOptions } from './export';
export type { OnnxDenseLayer } from './head';
export { OnnxError } from './errors';
