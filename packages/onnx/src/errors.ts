import { SelfsupError } from '@selfsup/core';

/**
 * Errors of @selfsup/onnx, with a `code`, the `problem` and how to `fix` it:
 * - `ONNX_UNSUPPORTED_BACKBONE`: not one of @selfsup/backbones' models (no recognised `spec`).
 * - `ONNX_BACKBONE_MISMATCH`: the backbone's variables, `featureDim` or `tapNames` do not fit its `spec`.
 * - `ONNX_BACKBONE_DISPOSED`: the backbone was disposed.
 * - `ONNX_BAD_HEAD`: a projection-head layer that does not fit the features or the layer before it (or is disposed).
 * - `ONNX_BAD_OPTION`: any other bad option (layout, imageSize, taps, producerVersion, unknown keys).
 */
export class OnnxError extends SelfsupError {}
