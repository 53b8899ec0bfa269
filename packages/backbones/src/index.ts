export type { Backbone, ForwardOptions } from './contract';
export { BackboneError } from './errors';
export {
  ResNet,
  resnet,
  resnet18,
  resnet34,
  resnet50,
  type BlockKind,
  type ResNetArchitecture,
  type ResNetOptions,
} from './resnet';
export { SmallConvnet, smallConvnet, type SmallConvnetOptions } from './small-convnet';
export type { BatchNormConfig } from './layers';
export {
  buildBackbone,
  type BackboneSpec,
  type BuiltBackbone,
  type CustomResNetSpec,
  type SmallConvnetSpec,
  type StandardResNetSpec,
} from './spec';
export { saveWeights, loadWeights, loadBackbone, type WeightsLocation } from './io/weights-io';
export { fileSystemHandler } from './io/file-handler';
export {
  importTorchWeights,
  importTorchWeightsSync,
  type TorchImportOptions,
  type TorchImportResult,
} from './io/torch-import';
export { exportTorchWeights, exportTorchWeightsAsync, type TorchExportOptions } from './io/torch-export';
export { readSafetensors } from './io/safetensors';
export type { SafetensorsTensor } from '@selfsup/core';
