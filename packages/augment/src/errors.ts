import { SelfsupError } from '@selfsup/core';

/** Bad arguments to an augmentation: wrong shapes, out-of-range parameters, mismatched lengths. */
export class AugmentError extends SelfsupError {}
