import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { datasetPath, resolveCacheDir } from './cache';

const saved = process.env.SELFSUP_CACHE_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.SELFSUP_CACHE_DIR;
  else process.env.SELFSUP_CACHE_DIR = saved;
});

describe('cache directory', () => {
  it('is the option, else SELFSUP_CACHE_DIR, else ~/.cache/selfsup', () => {
    delete process.env.SELFSUP_CACHE_DIR;
    expect(resolveCacheDir()).toBe(join(homedir(), '.cache', 'selfsup'));
    process.env.SELFSUP_CACHE_DIR = '/tmp/env-cache';
    expect(resolveCacheDir()).toBe('/tmp/env-cache');
    expect(resolveCacheDir({ cacheDir: 'rel/dir' })).toBe(resolve('rel/dir'));
  });

  it('holds each dataset in its official layout', () => {
    expect(datasetPath('cifar10', { cacheDir: '/c' })).toBe('/c/cifar-10/cifar-10-batches-bin');
    expect(datasetPath('cifar100', { cacheDir: '/c' })).toBe('/c/cifar-100/cifar-100-binary');
    expect(datasetPath('stl10', { cacheDir: '/c' })).toBe('/c/stl-10/stl10_binary');
    expect(datasetPath('mnist', { cacheDir: '/c' })).toBe('/c/mnist/raw');
    expect(() => datasetPath('imagenet', { cacheDir: '/c' })).toThrow(/no dataset named "imagenet": use one of cifar10, cifar100/);
  });
});
