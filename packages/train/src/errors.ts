import { SelfsupError } from '@selfsup/core';

/** A config that does not validate; `message` points at each bad field. */
export class ConfigError extends SelfsupError {}

/** Training stopped on purpose (NaN/Inf, interrupted run) with what the user should do next. */
export class TrainingError extends SelfsupError {}
