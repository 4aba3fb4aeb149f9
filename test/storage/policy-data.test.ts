// Conformance tests for `PolicyDataRepository`, on SQLite and PostgreSQL: versions in order, any
// JSON document kept as posted, lookups of unknown ids, and pruning to the newest N.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { asPolicyDataId } from '../../src/model/policy-data.ts';
import { SeededRng } from '../../src/rng.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';

for (const dialect of dialects) {
  describe(`${dialect}: PolicyDataRepository`, () => {
    let t: TestStorage;
    let clock: MockClock;
    let rng: SeededRng;
    beforeEach(async () => {
      t = await openTestStorage(dialect);
      clock = new MockClock('2026-03-01T10:00:00.000Z');
      rng = new SeededRng('policy-data');
    });
    afterEach(() => t.cleanup());

    const add = (data: unknown) => {
      clock.advance(1000);
      return t.storage.transaction((repos) => repos.policyData.add(rng, clock, data));
    };

    it('has no version until one is added; the newest is the latest', async () => {
      assert.equal(await t.storage.transaction((repos) => repos.policyData.latest()), null);
      const first = await add({ admin_users: ['alice'] });
      const second = await add({ nested: { list: [1, 'two', null], flag: false }, text: 'é"\\' });
      const latest = await t.storage.transaction((repos) => repos.policyData.latest());
      assert.deepEqual(latest, second);
      assert.equal(latest!.createdAt.toISOString(), '2026-03-01T10:00:02.000Z');
      assert.deepEqual(
        await t.storage.transaction((repos) => repos.policyData.lookup(first.id)),
        first,
      );
      assert.equal(
        await t.storage.transaction((repos) =>
          repos.policyData.lookup(asPolicyDataId('01J00000000000000000000000')),
        ),
        null,
      );
    });

    it('keeps arrays and strings at the top as posted', async () => {
      const list = await add(['a', 1]);
      const text = await add('just text');
      assert.deepEqual(
        (await t.storage.transaction((repos) => repos.policyData.lookup(list.id)))!.data,
        ['a', 1],
      );
      assert.equal(
        (await t.storage.transaction((repos) => repos.policyData.lookup(text.id)))!.data,
        'just text',
      );
    });

    it('prunes all but the newest versions', async () => {
      const versions = [];
      for (let i = 0; i < 5; i++) versions.push(await add({ i }));
      assert.equal(await t.storage.transaction((repos) => repos.policyData.prune(3)), 2);
      assert.equal(await t.storage.transaction((repos) => repos.policyData.prune(3)), 0);
      for (const [i, version] of versions.entries()) {
        const found = await t.storage.transaction((repos) => repos.policyData.lookup(version.id));
        assert.equal(found === null, i < 2, `version ${i}`);
      }
      assert.deepEqual(
        await t.storage.transaction((repos) => repos.policyData.latest()),
        versions[4],
      );
    });
  });
}
