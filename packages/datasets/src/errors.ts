import { SelfsupError } from '@selfsup/core';

/**
 * A dataset file that is missing, truncated, corrupted or could not be fetched. Codes:
 * `DATA_MISSING`, `DATA_TRUNCATED`, `DATA_BAD_FORMAT`, `DATA_CHECKSUM_MISMATCH`,
 * `DATA_DOWNLOAD_FAILED`, `DATA_NPM_FAILED`, `DATA_IMAGE_DECODE`.
 */
export class DataError extends SelfsupError {}

/** `30730000` → `30,730,000`: byte counts users can read at a glance. */
export function formatBytes(n: number): string {
  return n.toLocaleString('en-US');
}
