import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@selfsup/core';
import { expect } from 'vitest';
import { DataError } from '../src/errors';

/** A fresh temporary folder; `cleanup` removes it. */
export async function tempDir(prefix = 'selfsup-datasets-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Seeded random bytes, so generated files are the same on every run. */
export function randomBytes(n: number, seed: number, high = 256): Uint8Array {
  const rng = createRng(seed).fork('bytes');
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(0, high);
  return out;
}

export type Route = (request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => void;

/** An HTTP server on 127.0.0.1 serving `routes` by path; stands in for the dataset hosts. */
export async function serve(routes: Record<string, Route>): Promise<{ url: string; hits: Record<string, number>; close: () => Promise<void> }> {
  const hits: Record<string, number> = {};
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    hits[path] = (hits[path] ?? 0) + 1;
    const route = routes[path];
    if (!route) {
      response.writeHead(404).end('not found');
      return;
    }
    route(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `body` whole. */
export function bytesRoute(body: Uint8Array): Route {
  return (_request, response) => {
    response.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    response.end(body);
  };
}

/** Announces `body.length` bytes, sends the first `sent`, then drops the connection. */
export function cutRoute(body: Uint8Array, sent: number): Route {
  return (_request, response) => {
    response.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream' });
    response.write(body.subarray(0, sent), () => setTimeout(() => response.socket?.destroy(), 20));
  };
}

/** Byte-exact comparison that reports the first difference (vitest's diff of MB-sized arrays runs out of memory). */
export function firstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} vs ${expected.length}`;
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) return `index ${i}: ${actual[i]} vs ${expected[i]}`;
  return null;
}

/** The DataError `fn` throws (fails the test if it throws nothing or something else). */
export function thrown(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

/** The DataError `promise` rejects with (fails the test if it resolves or rejects with something else). */
export async function rejected(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}
