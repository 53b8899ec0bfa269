import { SelfsupError } from '@selfsup/core';

/** Bad inputs or options handed to a loss, head or objective of @selfsup/losses. */
export class LossError extends SelfsupError {}
