import { existsSync, renameSync, rmSync } from 'node:fs';

/** The bytes as a Buffer without copying (write-file-atomic takes strings and Buffers). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes a directory beside `out`, then swaps it in: a crash leaves the old one or the new one. */
export async function saveDirectoryAtomically(out: string, write: (dir: string) => Promise<unknown>): Promise<void> {
  const fresh = `${out}.tmp-${process.pid}`;
  const old = `${out}.old-${process.pid}`;
  rmSync(fresh, { recursive: true, force: true });
  try {
    await write(fresh);
  } catch (error) {
    rmSync(fresh, { recursive: true, force: true });
    throw error;
  }
  if (existsSync(out)) renameSync(out, old);
  renameSync(fresh, out);
  rmSync(old, { recursive: true, force: true });
}

