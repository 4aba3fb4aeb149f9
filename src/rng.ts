// The only place that makes random values. Everything else takes an `Rng` parameter, so tests can
// seed it and get the same ids and tokens on every run.

import { createHash, randomBytes } from 'node:crypto';
import { monotonicFactory, type ULIDFactory } from 'ulid';
import type { Clock } from './clock.ts';

export interface Rng {
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

/**
 * The operating system's randomness, drawn 4 KiB at a time: ids and tokens take a few bytes per
 * call, and one `randomBytes` call per byte showed up at several percent of a busy server's CPU.
 */
class BufferedSystemRng implements Rng {
  #pool = new Uint8Array(0);
  #offset = 0;

  bytes(n: number): Uint8Array {
    if (n > 1024) return new Uint8Array(randomBytes(n));
    if (this.#offset + n > this.#pool.length) {
      this.#pool = new Uint8Array(randomBytes(4096));
      this.#offset = 0;
    }
    // A copy: the caller may keep it, and the pool's bytes are never handed out twice (zeroed).
    // Copied and zeroed in one loop: the calls are a few bytes each (4 per token character), and
    // a typed-array view plus `fill` per call cost twice as much (measured on Node 24).
    const pool = this.#pool;
    const start = this.#offset;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = pool[start + i]!;
      pool[start + i] = 0;
    }
    this.#offset = start + n;
    return out;
  }
}

export const systemRng: Rng = new BufferedSystemRng();

/**
 * A deterministic generator for tests: SHA-256 in counter mode over a seed. Not for production use,
 * which is why nothing outside tests constructs it.
 */
export class SeededRng implements Rng {
  readonly #seed: string;
  #counter = 0;

  constructor(seed: string | number) {
    this.#seed = String(seed);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const block = createHash('sha256').update(`${this.#seed}:${this.#counter++}`).digest();
      const take = Math.min(block.length, n - filled);
      out.set(block.subarray(0, take), filled);
      filled += take;
    }
    return out;
  }
}

/** A uniformly distributed integer in [0, max) without modulo bias. */
export function randomInt(rng: Rng, max: number): number {
  if (!Number.isInteger(max) || max <= 0 || max > 2 ** 32) throw new RangeError('max out of range');
  const limit = Math.floor(2 ** 32 / max) * max;
  for (;;) {
    const b = rng.bytes(4);
    const value = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (value < limit) return value % max;
  }
}

/** A string of `length` characters drawn uniformly from `alphabet`. */
export function randomString(rng: Rng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(rng, alphabet.length)];
  return out;
}

const ulidFactories = new WeakMap<Rng, ULIDFactory>();

/**
 * A new ULID: time from the clock, randomness from the rng. ULIDs made from one Rng are monotonic:
 * within one millisecond each is the previous one plus one, so ordering by id is creation order
 * even for rows written in the same millisecond (or under a test clock that stands still).
 */
export function newUlid(clock: Clock, rng: Rng): string {
  let factory = ulidFactories.get(rng);
  if (factory === undefined) {
    factory = monotonicFactory(() => rng.bytes(1)[0]! / 256);
    ulidFactories.set(rng, factory);
  }
  return factory(clock.now().getTime());
}
