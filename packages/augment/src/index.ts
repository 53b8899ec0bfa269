export { AugmentError } from './errors';
export type { PerSample } from './params';

// Deterministic ops (torchvision.transforms.functional semantics, per-sample parameters).
export { adjustBrightness, adjustContrast, adjustSaturation, rgbToGrayscale } from './functional/color';
export { adjustHue } from './functional/hue';
export { horizontalFlip, resizedCrop, type CropBox, type ResizeOptions, type Size } from './functional/geometry';
export { gaussianBlur, gaussianKernel1d, type GaussianBlurOptions } from './functional/blur';
export { solarize, normalize } from './functional/pixel';

// Random transforms drawing from a seeded Rng.
export { compose, randomApply, applyToSubset, type Transform } from './transform';
export {
  randomResizedCrop,
  randomHorizontalFlip,
  sampleResizedCropBox,
  roundHalfEven,
  type ResizedCropOptions,
} from './random/geometry';
export {
  colorJitter,
  colorJitterSampler,
  applyColorJitter,
  jitterRange,
  type ColorJitterOptions,
  type ColorJitterParams,
  type JitterRange,
} from './random/color-jitter';
export {
  randomGrayscale,
  randomGaussianBlur,
  randomSolarize,
  sampleSigmas,
  type RandomGaussianBlurOptions,
} from './random/pixel';

// SimCLR recipes.
export { simclrCifar, simclrImagenet, twoViews, blurKernelSize, type PresetOptions } from './presets';
