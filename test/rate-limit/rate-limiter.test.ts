// `RateLimiter` on its own, on the memory store and on PostgreSQL (two limiters on two pools, as
// two nodes would be): each protected action, the password-change limiter, and what a database
// outage does.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import pg from 'pg';
import { rateLimitingSchema } from '../../src/config/sections/rate_limiting.ts';
import {
  createRateLimiter,
  RateLimitedError,
  type RateLimiter,
} from '../../src/rate-limit/index.ts';
import { openTestStorage, type TestStorage } from '../helpers/storage.ts';

const config = rateLimitingSchema.parse({});

async function refused(check: Promise<unknown>, limiter: string): Promise<RateLimitedError> {
  const error = await check.then(
    () => assert.fail(`expected ${limiter} to refuse`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RateLimitedError, String(error));
  assert.equal(error.limiter, limiter);
  return error;
}

describe('RateLimiter (memory)', () => {
  const limiter = (): RateLimiter => createRateLimiter({ config, pool: null });

  it('limits password checks during a password change by account', async () => {
    const rl = limiter();
    // Three tries a minute for the account, from whichever addresses.
    await rl.checkPasswordChange('192.0.2.1', 'alice');
    await rl.checkPasswordChange('192.0.2.2', 'Alice');
    await rl.checkPasswordChange('192.0.2.3', 'alice');
    const error = await refused(
      rl.checkPasswordChange('192.0.2.4', 'alice'),
      'password_change.per_account',
    );
    assert.equal(error.retryAfterSeconds, 60);
    // Another account is not affected; a correct password forgives the account's mistakes.
    await rl.checkPasswordChange('192.0.2.5', 'bob');
    await rl.passwordChangeSucceeded('alice');
    await rl.checkPasswordChange('192.0.2.6', 'alice');
  });

  it('shares the sign-in budget of an address with password changes', async () => {
    const rl = limiter();
    for (const account of ['a', 'b', 'c']) await rl.checkLogin('192.0.2.9', account);
    await refused(rl.checkPasswordChange('192.0.2.9', 'd'), 'login.per_ip');
  });

  it('limits registrations per address', async () => {
    const rl = limiter();
    for (let i = 0; i < 3; i++) await rl.checkRegistration('192.0.2.1');
    const error = await refused(rl.checkRegistration('192.0.2.1'), 'registration');
    assert.equal(error.retryAfterSeconds, 3600);
    await rl.checkRegistration('192.0.2.2');
  });

  it('limits recovery emails per address and per email address', async () => {
    const rl = limiter();
    for (let i = 0; i < 3; i++) await rl.checkAccountRecovery(`192.0.2.${i}`, 'Alice@Example.org');
    await refused(
      rl.checkAccountRecovery('192.0.2.99', 'alice@example.org'),
      'account_recovery.per_address',
    );
    for (let i = 0; i < 3; i++) await rl.checkAccountRecovery('198.51.100.1', `x${i}@example.org`);
    await refused(
      rl.checkAccountRecovery('198.51.100.1', 'z@example.org'),
      'account_recovery.per_ip',
    );
  });

  it('limits email codes: starts, re-sends and attempts', async () => {
    const rl = limiter();
    for (let i = 0; i < 5; i++) await rl.checkEmailAuthentication('192.0.2.1', `u${i}@example.org`);
    await refused(
      rl.checkEmailAuthentication('192.0.2.1', 'v@example.org'),
      'email_authentication.per_ip',
    );

    await rl.checkEmailResend('session-1', 'w@example.org');
    await rl.checkEmailResend('session-1', 'w@example.org');
    await refused(
      rl.checkEmailResend('session-1', 'w@example.org'),
      'email_authentication.emails_per_session',
    );
    await rl.checkEmailResend('session-2', 'w@example.org');
    await refused(
      rl.checkEmailResend('session-3', 'W@example.org'),
      'email_authentication.per_address',
    );

    for (let i = 0; i < 10; i++) await rl.checkEmailCodeAttempt('session-1');
    await refused(
      rl.checkEmailCodeAttempt('session-1'),
      'email_authentication.attempt_per_session',
    );
    await rl.checkEmailCodeAttempt('session-2');
  });
});

describe('RateLimiter (PostgreSQL)', () => {
  let db: TestStorage;
  let otherPool: pg.Pool;

  before(async () => {
    db = await openTestStorage('postgres');
    otherPool = new pg.Pool({ connectionString: db.uri, max: 2 });
  });
  after(async () => {
    await otherPool.end();
    await db.cleanup();
  });
  afterEach(async () => {
    await db.storage.connection.pool!.query('delete from rate_limits');
  });

  it('shares counters between nodes', async () => {
    const nodeA = createRateLimiter({ config, pool: db.storage.connection.pool });
    const nodeB = createRateLimiter({ config, pool: otherPool });
    assert.equal(nodeA.storeKind, 'postgres');
    await nodeA.checkRegistration('192.0.2.1');
    await nodeB.checkRegistration('192.0.2.1');
    await nodeA.checkRegistration('192.0.2.1');
    const error = await refused(nodeB.checkRegistration('192.0.2.1'), 'registration');
    assert.ok(error.retryAfterMs > 3_590_000 && error.retryAfterMs <= 3_600_000);
    const rows = await otherPool.query<{ key: string; points: number }>(
      'select key, points from rate_limits',
    );
    assert.deepEqual(rows.rows, [{ key: 'registration:192.0.2.1', points: 4 }]);
  });

  it('keeps limiting in memory while the database cannot answer', async () => {
    const broken = new pg.Pool({ connectionString: db.uri, max: 1 });
    await broken.end();
    const rl = createRateLimiter({ config, pool: broken });
    for (let i = 0; i < 3; i++) await rl.checkRegistration('192.0.2.1');
    await refused(rl.checkRegistration('192.0.2.1'), 'registration');
  });
});
