// The system Rng serves bytes from a refilled pool: every call gets a fresh array of the length
// asked, across pool refills and for large requests, and no two calls share or repeat bytes.
// SeededRng stays deterministic; randomInt and randomString stay in range.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomInt, randomString, SeededRng, systemRng } from '../src/rng.ts';

describe('systemRng', () => {
  it('returns arrays of the length asked, small, across refills, and large', () => {
    // 4096-byte pool: 1 000 calls of 7 bytes cross several refills at uneven offsets.
    for (let i = 0; i < 1000; i++) assert.equal(systemRng.bytes(7).length, 7);
    assert.equal(systemRng.bytes(0).length, 0);
    assert.equal(systemRng.bytes(1024).length, 1024);
    assert.equal(systemRng.bytes(5000).length, 5000);
  });

  it('hands out copies, not views of the pool (whose bytes are zeroed once handed out)', () => {
    const a = systemRng.bytes(16);
    // A view would read the zeroed pool.
    assert.notDeepEqual(a, new Uint8Array(16), 'sixteen zero bytes are all but impossible');
    a.fill(0xff);
    const b = systemRng.bytes(16);
    assert.notDeepEqual(b, new Uint8Array(16).fill(0xff), 'writing to one changed the pool');
  });

  it('never repeats a block of bytes across many calls', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(Buffer.from(systemRng.bytes(8)).toString('hex'));
    assert.equal(seen.size, 2000);
  });

  it('uses every byte value (not zeroed or truncated output)', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 400; i++) for (const b of systemRng.bytes(64)) counts[b]!++;
    assert.ok(
      counts.every((c) => c > 0),
      'each of 256 values among 25 600 random bytes',
    );
  });
});

describe('SeededRng, randomInt, randomString', () => {
  it('is deterministic per seed', () => {
    assert.deepEqual(new SeededRng('x').bytes(40), new SeededRng('x').bytes(40));
    assert.notDeepEqual(new SeededRng('x').bytes(40), new SeededRng('y').bytes(40));
  });

  it('draws integers and strings within range', () => {
    for (let i = 0; i < 500; i++) {
      const n = randomInt(systemRng, 62);
      assert.ok(Number.isInteger(n) && n >= 0 && n < 62);
    }
    assert.match(randomString(systemRng, 'ab', 50), /^[ab]{50}$/);
  });
});
