import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, readEmbeddings, writeEmbeddings, type EmbeddingsIndex } from './embeddings-file';

const dir = mkdtempSync(join(tmpdir(), 'selfsup-emb-'));
const index = (count: number, dim: number): EmbeddingsIndex => ({
  format: 'selfsup-embeddings/1', runDir: '/r', step: 3, layer: 'features', count, dim, source: 'x', imageSize: [8, 8], channels: 3,
  classNames: ['a', 'b'], labels: Array.from({ length: count }, (_, i) => i % 2),
});

describe('embeddings files', () => {
  it('.npy: the header NumPy documents, 64-byte aligned data, read back as written', () => {
    const data = Float32Array.from({ length: 12 }, (_, i) => i / 3 - 1);
    const bytes = encodeNpy(data, [4, 3]);
    const headerLength = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + headerLength) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(10, 10 + headerLength))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(4, 3\), \} *\n$/);
    expect(decodeNpy(bytes)).toEqual({ data, shape: [4, 3] });
    const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0);
    if (python) {
      const file = join(dir, 'a.npy');
      writeFileSync(file, bytes);
      const read = spawnSync(python, ['-c', 'import numpy, sys, json; a = numpy.load(sys.argv[1]); print(json.dumps([list(a.shape), str(a.dtype), a.ravel().tolist()]))', file], { encoding: 'utf8' });
      expect(JSON.parse(read.stdout)).toEqual([[4, 3], 'float32', Array.from(data)]);
    }
  });

  it('round-trips both formats with the index, and refuses a mismatched pair', () => {
    const data = Float32Array.from({ length: 10 }, (_, i) => i);
    for (const name of ['e.safetensors', 'e.npy']) {
      const out = join(dir, 'sub', name);
      const written = writeEmbeddings(out, { layer: 'features', count: 5, dim: 2, data }, index(5, 2));
      expect(written.index).toBe(join(dir, 'sub', 'e.json'));
      const read = readEmbeddings(out);
      expect(Array.from(read.data)).toEqual(Array.from(data));
      expect(read.index.labels).toEqual([0, 1, 0, 1, 0]);
    }
    writeFileSync(join(dir, 'sub', 'e.json'), JSON.stringify(index(6, 2)));
    expect(() => readEmbeddings(join(dir, 'sub', 'e.npy'))).toThrow(/holds \[5, 2\] but .*e\.json describes 6 rows of 2/);
    expect(() => readEmbeddings(join(dir, 'none.npy'))).toThrow(/none\.npy does not exist: write embeddings with selfsup embed/);
  });
});
