import { SelfsupError } from '@selfsup/core';

/** Errors of @selfsup/backbones: bad configuration, weights that do not fit the model, I/O. */
export class BackboneError extends SelfsupError {}
