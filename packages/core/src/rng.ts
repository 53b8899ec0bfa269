import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import { ArgumentError } from './errors';

/**
 * A seeded, splittable random number generator.
 *
 * `fork(label)` derives a child stream from this stream's *path* (seed plus the labels of its
 * ancestors), never from how many numbers were drawn. So `rng.fork('augment')` yields the same
 * stream whether the model's initialisation drew ten numbers or ten million first: adding a
 * random call in one package never shifts the randomness of another.
 */
export interface Rng {
  /** The root seed this stream descends from. */
  readonly seed: number;
  /** `seed/label/label...`: identifies the stream. */
  readonly path: string;
  /** A child stream, independent of this one and of siblings with other labels. */
  fork(label: string): Rng;
  /** Uniform integer in [0, 2^32). */
  uint32(): number;
  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number;
  /** Uniform float in [low, high). */
  uniform(low: number, high: number): number;
  /** Uniform integer in [low, high) (high exclusive, like Python's randrange). */
  int(low: number, high: number): number;
  /** Normal deviate (Box–Muller; both deviates of a pair are used). */
  normal(mean?: number, std?: number): number;
  /** `true` with probability p. */
  bernoulli(p: number): boolean;
  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array;
  /** Shuffles `items` in place and returns it. */
  shuffle<T>(items: T[]): T[];
  /** An integer seed for tfjs' own seeded ops (`tf.randomNormal(..., seed)`). */
  tfSeed(): number;
  /** Snapshot of the stream position, for checkpoints. */
  getState(): RngState;
}

export interface RngState {
  seed: number;
  path: string;
  generator: number[];
  /** Second Box–Muller deviate waiting to be returned, if any. */
  spareNormal: number | null;
}

/** FNV-1a over UTF-16 code units followed by a murmur3 finaliser: a well-mixed 32-bit hash. */
function hash32(text: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** 128 bits of xoroshiro state from a stream path (four salted hashes; never all zero). */
function stateFromPath(path: string): number[] {
  const state: number[] = [0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x6a09e667].map((salt) => hash32(path, salt));
  if (!state.some((word) => word !== 0)) state[0] = 1;
  return state;
}

class SplittableRng implements Rng {
  private spareNormal: number | null;

  constructor(
    readonly seed: number,
    readonly path: string,
    private readonly generator: JumpableRandomGenerator,
    spareNormal: number | null = null,
  ) {
    this.spareNormal = spareNormal;
  }

  fork(label: string): Rng {
    if (typeof label !== 'string' || label.length === 0) {
      throw new ArgumentError({
        code: 'RNG_BAD_LABEL',
        problem: `rng.fork() got label ${JSON.stringify(label)}`,
        fix: 'pass a non-empty string that names what the stream is for, e.g. rng.fork("augment")',
      });
    }
    const path = `${this.path}/${label}`;
    return new SplittableRng(this.seed, path, xoroshiro128plusFromState(stateFromPath(path)));
  }

  uint32(): number {
    return this.generator.next() >>> 0;
  }

  float(): number {
    return uniformFloat64(this.generator);
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  int(low: number, high: number): number {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
      throw new ArgumentError({
        code: 'RNG_BAD_RANGE',
        problem: `rng.int(${low}, ${high}) has an empty or non-integer range`,
        fix: 'pass integers with low < high (high is exclusive)',
      });
    }
    return uniformInt(this.generator, low, high - 1);
  }

  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    // 1 - float() lies in (0, 1], so the log is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.float()));
    const angle = 2 * Math.PI * this.float();
    this.spareNormal = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  }

  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = uniformInt(this.generator, 0, i);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = uniformInt(this.generator, 0, i);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  tfSeed(): number {
    // tfjs seeds go through seedrandom, which takes any number; keep it a positive int32.
    return this.uint32() >>> 1;
  }

  getState(): RngState {
    return {
      seed: this.seed,
      path: this.path,
      generator: [...this.generator.getState()],
      spareNormal: this.spareNormal,
    };
  }
}

/** Creates the root random stream of a run. Same seed → same numbers, on every platform. */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new ArgumentError({
      code: 'RNG_BAD_SEED',
      problem: `createRng() got seed ${String(seed)}`,
      fix: 'pass an integer seed, e.g. createRng(0)',
    });
  }
  const path = String(seed);
  return new SplittableRng(seed, path, xoroshiro128plusFromState(stateFromPath(path)));
}

/** Rebuilds a stream at the position recorded by `rng.getState()`. */
export function restoreRng(state: RngState): Rng {
  return new SplittableRng(
    state.seed,
    state.path,
    xoroshiro128plusFromState(state.generator),
    state.spareNormal,
  );
}
