// MAS's merge of stored policy data over the configuration's: objects merge recursively, arrays
// concatenate, scalars of the same type and null replace, anything else is refused with where.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergePolicyData, PolicyDataMergeError } from '../../src/model/policy-data.ts';

describe('mergePolicyData', () => {
  it('merges objects key by key, recursively, without changing either side', () => {
    const base = { a: { b: { c: 'd' } }, keep: 1 };
    const overlay = { a: { b: { e: 'f' } }, added: true };
    assert.deepEqual(mergePolicyData(base, overlay), {
      a: { b: { c: 'd', e: 'f' } },
      keep: 1,
      added: true,
    });
    assert.deepEqual(base, { a: { b: { c: 'd' } }, keep: 1 });
    assert.deepEqual(overlay, { a: { b: { e: 'f' } }, added: true });
  });

  it('concatenates arrays, the stored entries after the configured ones', () => {
    assert.deepEqual(
      mergePolicyData({ admin_users: ['alice'] }, { admin_users: ['bob', 'carol'] }),
      { admin_users: ['alice', 'bob', 'carol'] },
    );
  });

  it('replaces scalars of the same type, and null either way', () => {
    assert.deepEqual(mergePolicyData({ s: 'x', n: 0, b: true }, { s: 'y', n: 42, b: false }), {
      s: 'y',
      n: 42,
      b: false,
    });
    assert.deepEqual(mergePolicyData({ a: 'x', o: { k: 1 } }, { a: null, o: null }), {
      a: null,
      o: null,
    });
    assert.deepEqual(mergePolicyData({ a: null }, { a: ['x'] }), { a: ['x'] });
  });

  it('refuses values of different types, naming where', () => {
    assert.throws(
      () =>
        mergePolicyData(
          { requester: { banned_ips: ['10.0.0.0/8'] } },
          { requester: { banned_ips: '10.0.0.1' } },
        ),
      (error: unknown) =>
        error instanceof PolicyDataMergeError &&
        error.path === 'requester.banned_ips' &&
        error.message === 'requester.banned_ips: cannot merge a string into an array',
    );
    assert.throws(
      () => mergePolicyData({ n: 1 }, { n: '1' }),
      /cannot merge a string into a number/,
    );
    assert.throws(
      () => mergePolicyData({ o: {} }, { o: [] }),
      /o: cannot merge an array into an object/,
    );
  });

  it('refuses anything but an object at the top', () => {
    for (const overlay of [null, [], 'text', 3]) {
      assert.throws(() => mergePolicyData({}, overlay), /policy data must be a JSON object/);
    }
  });
});
