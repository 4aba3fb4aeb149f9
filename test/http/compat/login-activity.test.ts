// A compat login records the new session's first activity (time and client address) in the
// same transaction that starts the session: for `m.login.password` (whose other transaction only
// reads the user before the password is checked) and for `m.login.token`, whose whole request is
// one transaction.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { tokenHash } from '../../../src/crypto/tokens.ts';
import type { Storage } from '../../../src/storage/storage.ts';
import { addUser } from '../../helpers/app.ts';
import { postJson, startCompatApp, type CompatApp } from './compat-kit.ts';

/** Counts the transactions `storage` runs (the real ones: it only counts them). */
function countTransactions(storage: Storage): { count: number } {
  const counter = { count: 0 };
  const original = storage.transaction.bind(storage);
  storage.transaction = ((work) => {
    counter.count++;
    return original(work);
  }) as Storage['transaction'];
  return counter;
}

describe('compat login activity', () => {
  let h: CompatApp;
  beforeEach(async () => {
    h = await startCompatApp();
    await addUser(h.base, 'alice', 'correct horse');
  });
  afterEach(() => h.close());

  const sessionOf = (deviceId: string) =>
    h.ctx.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      const sessions = await repos.compatSessions.listActiveForUser(alice!.id);
      return sessions.find((s) => s.deviceId === deviceId)!;
    });

  it('m.login.password records it with the session', async () => {
    const at = h.base.clock.now();
    const transactions = countTransactions(h.ctx.storage);
    const response = await postJson(h, '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' },
      password: 'correct horse',
      device_id: 'PASSWORDDEV',
    });
    assert.equal(response.statusCode, 200, response.body);
    // One to read the user before the password check, one to start the session.
    assert.equal(transactions.count, 2);
    const session = await sessionOf('PASSWORDDEV');
    assert.deepEqual(session.lastActiveAt, at);
    assert.equal(session.lastActiveIp, '127.0.0.1');
  });

  it('m.login.token records it in the one transaction of the request', async () => {
    // A completed SSO login, as the browser leaves it (./sso.test.ts walks the browser part).
    const loginToken = 'L'.repeat(32);
    await h.ctx.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      const browser = await repos.browserSessions.add(h.ctx.rng, h.base.clock, alice!, null);
      const sso = await repos.compatSsoLogins.add(
        h.ctx.rng,
        h.base.clock,
        'https://client.example.org/done',
      );
      await repos.compatSsoLogins.fulfill(h.base.clock, sso, browser.id, tokenHash(loginToken));
    });
    h.base.clock.advance(5_000);
    const at = h.base.clock.now();
    const transactions = countTransactions(h.ctx.storage);
    const response = await postJson(h, '/_matrix/client/v3/login', {
      type: 'm.login.token',
      token: loginToken,
      device_id: 'TOKENDEV',
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(transactions.count, 1);
    const session = await sessionOf('TOKENDEV');
    assert.deepEqual(session.lastActiveAt, at);
    assert.equal(session.lastActiveIp, '127.0.0.1');
  });
});
