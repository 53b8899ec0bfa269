import { SelfsupError } from '@selfsup/core';

/** A bad optimizer or schedule argument, a gradient that does not fit its variable, or a state that does not fit the optimizer. */
export class OptimError extends SelfsupError {}
