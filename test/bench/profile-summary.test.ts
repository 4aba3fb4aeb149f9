// The summary of a CPU profile (bench/profile-summary.ts): idle and garbage-collection shares of
// all samples, self and inclusive time per function as shares of the busy time (a recursive
// function counted once per sample), and collapsed stacks for flame-graph tools. A small profile
// written by hand, shaped as V8 writes them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collapsedStacks, summarizeProfile, type CpuProfile } from '../../bench/profile-summary.ts';

const frame = (id: number, functionName: string, children: number[] = [], url = '', line = 0) => ({
  id,
  callFrame: { functionName, url, lineNumber: line },
  children,
});
const BUNDLE = 'file:///srv/gatehouse/dist/bundle/main.mjs';
const HASH = 'node:internal/crypto/hash';

// (root) → handler → hash, handler → handler (recursion) → hash; (idle); (garbage collector)
const PROFILE: CpuProfile = {
  nodes: [
    frame(1, '(root)', [2, 5, 6]),
    frame(2, 'handler', [3, 4], BUNDLE, 20),
    frame(3, 'hash', [], HASH, 30),
    frame(4, 'handler', [7], BUNDLE, 20),
    frame(5, '(idle)'),
    frame(6, '(garbage collector)'),
    frame(7, 'hash', [], HASH, 30),
  ],
  // 10 samples of 1 ms: idle 4, gc 1, handler self 2, hash under handler 2, hash under recursion 1
  samples: [5, 5, 5, 5, 6, 2, 2, 3, 3, 7],
  timeDeltas: Array.from({ length: 10 }, () => 1000),
};

describe('summarizeProfile', () => {
  it('gives idle and GC shares of all samples, functions as shares of the busy time', () => {
    const summary = summarizeProfile(PROFILE);
    assert.equal(summary.totalMs, 10);
    assert.equal(summary.idleShare, 0.4);
    assert.equal(summary.gcShare, 0.1);
    const share = (list: typeof summary.topSelf, fn: string) =>
      list.find((f) => f.function.startsWith(fn))?.share;
    // Busy: 6 ms. Self: hash 3 (both call sites), handler 2 (both frames, same function), gc 1.
    assert.equal(share(summary.topSelf, 'hash'), 0.5);
    assert.equal(share(summary.topSelf, 'handler'), 2 / 6);
    assert.equal(share(summary.topSelf, '(garbage collector)'), 1 / 6);
    assert.equal(summary.topSelf[0]!.function, 'hash (node:internal/crypto/hash:31)');
    // Inclusive: handler is on the stack of 5 busy samples, counted once despite recursing.
    assert.equal(share(summary.topInclusive, 'handler'), 5 / 6);
    assert.equal(
      summary.topInclusive.find((f) => f.function.startsWith('handler'))!.function,
      'handler (dist/bundle/main.mjs:21)',
    );
  });

  it('keeps only the top N functions', () => {
    assert.equal(summarizeProfile(PROFILE, 1).topSelf.length, 1);
  });
});

describe('collapsedStacks', () => {
  it('writes one line per distinct stack from the root down, without idle samples', () => {
    assert.deepEqual(collapsedStacks(PROFILE).trimEnd().split('\n'), [
      '(garbage collector) 1',
      'handler (dist/bundle/main.mjs:21) 2',
      'handler (dist/bundle/main.mjs:21);handler (dist/bundle/main.mjs:21);hash (node:internal/crypto/hash:31) 1',
      'handler (dist/bundle/main.mjs:21);hash (node:internal/crypto/hash:31) 2',
    ]);
  });
});
