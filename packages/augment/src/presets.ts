import type { ImageBatch, Rng } from '@selfsup/core';
import { colorJitter } from './random/color-jitter';
import { randomResizedCrop } from './random/geometry';
import { randomGaussianBlur, randomGrayscale } from './random/pixel';
import { compose, randomApply, type Transform } from './transform';

export interface PresetOptions {
  /** Output side in pixels. Default 32 (CIFAR) or 224 (ImageNet). */
  size?: number;
  /** Antialiased crop resizing (as torchvision's PIL pipeline and v2 do). Default false. */
  antialias?: boolean;
}

/**
 * SimCLR's CIFAR-10 views: RandomResizedCrop(32, scale 0.08–1), horizontal flip p=0.5 (folded
 * into the crop),
 * ColorJitter(0.4, 0.4, 0.4, 0.1) with p=0.8, grayscale p=0.2, no blur.
 */
export function simclrCifar({ size = 32, antialias = false }: PresetOptions = {}): Transform {
  return compose([
    randomResizedCrop({ size, scale: [0.08, 1], horizontalFlip: 0.5, antialias }),
    randomApply(0.8, colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 })),
    randomGrayscale(0.2),
  ]);
}

/** SimCLR's blur kernel: 10% of the side, made odd (23 for 224). */
export function blurKernelSize(size: number): number {
  const k = Math.max(1, Math.floor(0.1 * size));
  return k % 2 === 0 ? k + 1 : k;
}

/**
 * SimCLR's ImageNet views: RandomResizedCrop(224), flip, ColorJitter(0.8, 0.8, 0.8, 0.2) with
 * p=0.8, grayscale p=0.2, Gaussian blur (kernel 10% of the side, σ ∈ [0.1, 2]) with p=0.5.
 */
export function simclrImagenet({ size = 224, antialias = false }: PresetOptions = {}): Transform {
  return compose([
    randomResizedCrop({ size, horizontalFlip: 0.5, antialias }),
    randomApply(0.8, colorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 })),
    randomGrayscale(0.2),
    randomGaussianBlur({ kernelSize: blurKernelSize(size), sigma: [0.1, 2], p: 0.5 }),
  ]);
}

/**
 * Both views of a batch for a contrastive loss: the pipeline runs twice, drawing from `rng` in
 * turn, so the views differ from each other and from step to step while the seed fixes them all.
 */
export function twoViews(pipeline: Transform): (images: ImageBatch, rng: Rng) => [ImageBatch, ImageBatch] {
  return (images, rng) => {
    const first = pipeline(images, rng);
    return [first, pipeline(images, rng)];
  };
}
