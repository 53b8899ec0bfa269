/**
 * Every error selfsup throws on purpose says what went wrong and how to fix it, and carries a
 * stable `code` that programs can branch on. Packages subclass it per family (BackendError,
 * DataError, ...) so that `instanceof` narrows without string matching.
 */
export interface SelfsupErrorOptions {
  /** Stable machine-readable code, e.g. `BACKEND_NOT_INSTALLED`. */
  code: string;
  /** What went wrong, with the offending value. */
  problem: string;
  /** What the user should do about it. */
  fix: string;
  cause?: unknown;
}

export class SelfsupError extends Error {
  readonly code: string;
  readonly problem: string;
  readonly fix: string;

  constructor({ code, problem, fix, cause }: SelfsupErrorOptions) {
    super(`${problem}: ${fix}`, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.problem = problem;
    this.fix = fix;
  }
}

/** Bad arguments handed to a selfsup function. */
export class ArgumentError extends SelfsupError {}

/** A backend that cannot be loaded or initialised. */
export class BackendError extends SelfsupError {}
