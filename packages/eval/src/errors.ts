import { SelfsupError } from '@selfsup/core';

/** Bad inputs to an evaluation (shapes, labels, options) or a report that cannot be written. */
export class EvalError extends SelfsupError {}
