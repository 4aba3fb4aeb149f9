// The activity tracker on a real SQLite storage: uses are kept in memory until a flush writes them
// in transactions of at most FLUSH_CHUNK entries; a token's first use stays visible to `accessTokenUsed` until written; the
// latest activity time and the known IP win; a failed flush keeps the entries for the next one.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { asOAuth2ClientId } from '../../src/model/ids.ts';
import { SeededRng } from '../../src/rng.ts';
import { ActivityTracker, FLUSH_CHUNK } from '../../src/services/activity-tracker.ts';
import type { Storage } from '../../src/storage/storage.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { openTestStorage, type TestStorage, bareClientFields } from '../helpers/storage.ts';

describe('ActivityTracker', () => {
  let db: TestStorage;
  const clock = new MockClock();
  const rng = new SeededRng('tracker');

  async function session() {
    return db.storage.transaction(async (repos) => {
      const id = asOAuth2ClientId('01J0000000000000000000CL1E');
      await repos.oauth2Clients.upsertStatic(
        clock,
        id,
        bareClientFields({ grantTypes: ['client_credentials'] }),
      );
      const s = await repos.oauth2Sessions.add(rng, clock, {
        clientId: id,
        userId: null,
        browserSessionId: null,
        scope: '',
        userAgent: null,
      });
      const token = await repos.accessTokens.add(rng, clock, s, 'f'.repeat(64), null);
      return { s, token };
    });
  }

  const read = (ids: Awaited<ReturnType<typeof session>>) =>
    db.storage.transaction(async (repos) => ({
      s: (await repos.oauth2Sessions.lookup(ids.s.id))!,
      token: (await repos.accessTokens.lookup(ids.token.id))!,
    }));

  beforeEach(async () => {
    db = await openTestStorage('sqlite');
  });
  afterEach(() => db.cleanup());

  it('writes pending uses on flush, keeping the first use and the latest activity', async () => {
    const ids = await session();
    const tracker = new ActivityTracker({
      storage: db.storage,
      clock,
      logger: createLogger({ level: 'silent' }),
    });
    const first = clock.now();
    tracker.recordAccessTokenUse(ids.s.id, ids.token.id, '192.0.2.1');
    clock.advance(1000);
    tracker.recordAccessTokenUse(ids.s.id, ids.token.id, null);
    assert.equal(tracker.accessTokenUsed(ids.token.id), true);
    assert.equal((await read(ids)).token.firstUsedAt, null, 'nothing written yet');
    await tracker.flush();
    const after = await read(ids);
    assert.deepEqual(after.token.firstUsedAt, first);
    assert.deepEqual(after.s.lastActiveAt, clock.now());
    assert.equal(after.s.lastActiveIp, '192.0.2.1', 'a null ip keeps the known one');
    assert.equal(tracker.accessTokenUsed(ids.token.id), false, 'written: the database knows');
    await tracker.stop();
  });

  it('writes a large flush in chunks, each its own transaction, and keeps what a failed chunk held', async () => {
    // Sessions of their own, written straight through the repositories.
    const clientId = asOAuth2ClientId('01J0000000000000000000CL1E');
    const total = FLUSH_CHUNK * 2 + 10;
    const sessions = await db.storage.transaction(async (repos) => {
      await repos.oauth2Clients.upsertStatic(clock, clientId, bareClientFields());
      const made = [];
      for (let i = 0; i < total; i++) {
        made.push(
          await repos.oauth2Sessions.add(rng, clock, {
            clientId,
            userId: null,
            browserSessionId: null,
            scope: '',
            userAgent: null,
          }),
        );
      }
      return made;
    });
    let transactions = 0;
    let failOn: number | null = 2;
    const counting: Storage = {
      ...db.storage,
      dialect: db.storage.dialect,
      transaction: (work) => {
        transactions++;
        if (transactions === failOn) return Promise.reject(new Error('database down'));
        return db.storage.transaction(work);
      },
      ping: () => db.storage.ping(),
      pendingMigrations: () => db.storage.pendingMigrations(),
      close: () => db.storage.close(),
    };
    const tracker = new ActivityTracker({
      storage: counting,
      clock,
      logger: createLogger({ level: 'silent' }),
    });
    clock.advance(1000);
    for (const s of sessions) tracker.recordSessionActivity(s.id, '192.0.2.9');
    const seen = async () =>
      (
        await db.storage.transaction((repos) =>
          Promise.all(sessions.map((s) => repos.oauth2Sessions.lookup(s.id))),
        )
      ).filter((s) => s!.lastActiveAt !== null).length;

    // The second chunk fails: the first is written, the second and third wait for the next flush.
    await tracker.flush();
    assert.equal(transactions, 2);
    assert.equal(await seen(), FLUSH_CHUNK);
    failOn = null;
    transactions = 0;
    await tracker.flush();
    assert.equal(transactions, 2, 'the two chunks left, one transaction each');
    assert.equal(await seen(), total);
    await tracker.stop();
  });

  it('keeps the entries when a flush fails, and writes them next time', async () => {
    const ids = await session();
    let fail = true;
    const flaky: Storage = {
      ...db.storage,
      dialect: db.storage.dialect,
      transaction: (work) => {
        if (fail) return Promise.reject(new Error('database down'));
        return db.storage.transaction(work);
      },
      ping: () => db.storage.ping(),
      pendingMigrations: () => db.storage.pendingMigrations(),
      close: () => db.storage.close(),
    };
    const tracker = new ActivityTracker({
      storage: flaky,
      clock,
      logger: createLogger({ level: 'silent' }),
    });
    tracker.recordAccessTokenUse(ids.s.id, ids.token.id, null);
    await tracker.flush();
    assert.equal(tracker.accessTokenUsed(ids.token.id), true, 'still pending after the failure');
    fail = false;
    await tracker.stop();
    assert.notEqual((await read(ids)).token.firstUsedAt, null);
  });
});
