import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { asOAuth2ClientId } from '../../src/model/ids.ts';
import type { User } from '../../src/model/user.ts';
import { SeededRng } from '../../src/rng.ts';
import { IntrospectionCache } from '../../src/services/introspection-cache.ts';
import { checkSessionLimit } from '../../src/services/session-limit.ts';
import { SYNC_DEVICES_QUEUE } from '../../src/storage/matrix-jobs.ts';
import { openTestStorage, type TestStorage, bareClientFields } from '../helpers/storage.ts';
import { cacheActiveAnswer } from '../helpers/introspection-cache.ts';

describe('session limits', () => {
  const clock = new MockClock();
  const rng = new SeededRng('limits');
  let t: TestStorage;
  let alice: User;

  beforeEach(async () => {
    t = await openTestStorage('sqlite');
    alice = await t.storage.transaction(
      async (repos) => (await repos.users.add(rng, clock, 'alice'))!,
    );
    // three compat sessions, used at different times
    for (const [device, used] of [
      ['DEVICE00001', 3],
      ['DEVICE00002', 1],
      ['DEVICE00003', 2],
    ] as const) {
      clock.advance(1000);
      await t.storage.transaction(async (repos) => {
        const session = await repos.compatSessions.add(rng, clock, {
          userId: alice.id,
          deviceId: device,
          browserSessionId: null,
          isSynapseAdmin: false,
          humanName: null,
          userAgent: null,
        });
        await repos.compatSessions.recordActivity(
          session.id,
          new Date(Date.UTC(2026, 0, 2, used)),
          null,
        );
      });
    }
  });
  afterEach(() => t.cleanup());

  const check = (
    kind: 'interactive' | 'password' | 'token',
    limit: Record<string, unknown> | undefined,
  ) =>
    t.storage.transaction((repos) =>
      checkSessionLimit(repos, alice, { experimental: { session_limit: limit } } as never, kind, {
        clock,
        rng,
      }),
    );

  it('allows everything without a limit', async () => {
    assert.equal((await check('password', undefined)).allowed, true);
  });

  it('soft limit for interactive sign-ins, hard limit for logins', async () => {
    const limit = { soft_limit: 2, hard_limit: 4, dangerous_hard_limit_eviction: false };
    const soft = await check('interactive', limit);
    assert.equal(soft.allowed, false);
    assert.ok(!soft.allowed && soft.limit === 'soft' && soft.needToRemove === 2);
    assert.equal((await check('password', limit)).allowed, true);
    const hard = await check('token', { ...limit, hard_limit: 3 });
    assert.ok(!hard.allowed && hard.limit === 'hard' && hard.needToRemove === 1);
    assert.match(!hard.allowed ? hard.message : '', /3 active sessions \(the limit is 3\)/);
  });

  it('counts active OAuth 2.0 sessions with the compat ones, finished ones of either not', async () => {
    const clientId = asOAuth2ClientId('01J0000000000000000000CL1E');
    await t.storage.transaction(async (repos) => {
      await repos.oauth2Clients.upsertStatic(
        clock,
        clientId,
        bareClientFields({ grantTypes: ['authorization_code'] }),
      );
      for (const device of ['OAUTHDEV01', 'OAUTHDEV02']) {
        await repos.oauth2Sessions.add(rng, clock, {
          clientId,
          userId: alice.id,
          browserSessionId: null,
          scope: `openid urn:matrix:client:device:${device}`,
          userAgent: null,
        });
      }
      const [ended] = await repos.compatSessions.listActiveForUser(alice.id);
      await repos.compatSessions.finish(clock, ended!);
    });
    // 2 compat + 2 OAuth 2.0 sessions are active.
    const limit = { soft_limit: 4, hard_limit: 5, dangerous_hard_limit_eviction: false };
    const soft = await check('interactive', limit);
    assert.ok(!soft.allowed && soft.active === 4 && soft.needToRemove === 1, JSON.stringify(soft));
    const hard = await check('password', limit);
    assert.ok(hard.allowed && hard.active === 4, JSON.stringify(hard));
    // Over the threshold, the account is spared whatever the limit.
    const spared = await check('interactive', {
      ...limit,
      soft_limit: 1,
      max_session_threshold: 3,
    });
    assert.ok(spared.allowed && spared.active === 4, JSON.stringify(spared));
  });

  it('spares accounts above max_session_threshold', async () => {
    const limit = {
      soft_limit: 1,
      hard_limit: 1,
      max_session_threshold: 2,
      dangerous_hard_limit_eviction: false,
    };
    assert.equal((await check('password', limit)).allowed, true);
  });

  it('an evicted session leaves the introspection cache at once', async () => {
    const cache = new IntrospectionCache({ clock, ttlMs: 600_000 });
    const sessions = await t.storage.transaction((repos) =>
      repos.compatSessions.listActiveForUser(alice.id),
    );
    for (const s of sessions) {
      cacheActiveAnswer(cache, `key-${s.deviceId}`, s.id, alice.id, 'compat');
    }
    const limit = { soft_limit: 2, hard_limit: 2, dangerous_hard_limit_eviction: true };
    const outcome = await t.storage.transaction((repos) =>
      checkSessionLimit(
        repos,
        alice,
        { experimental: { session_limit: limit } } as never,
        'password',
        { clock, rng, introspectionCache: cache },
      ),
    );
    assert.ok(outcome.allowed);
    assert.equal(cache.get('key-DEVICE00002'), undefined);
    assert.equal(cache.get('key-DEVICE00003'), undefined);
    assert.notEqual(cache.get('key-DEVICE00001'), undefined, 'the session kept keeps its answer');
  });

  it('evicts the least recently used sessions with dangerous_hard_limit_eviction', async () => {
    const outcome = await check('password', {
      soft_limit: 2,
      hard_limit: 2,
      dangerous_hard_limit_eviction: true,
    });
    assert.ok(outcome.allowed);
    assert.deepEqual(
      outcome.evicted.map((s) => s.deviceId),
      ['DEVICE00002', 'DEVICE00003'],
    );
    const left = await t.storage.transaction((repos) =>
      repos.compatSessions.listActiveForUser(alice.id),
    );
    assert.deepEqual(
      left.map((s) => s.deviceId),
      ['DEVICE00001'],
    );
    const jobs = await t.storage.connection.db
      .selectFrom('queue_jobs')
      .select('queue_name')
      .where('queue_name', '=', SYNC_DEVICES_QUEUE)
      .execute();
    assert.equal(jobs.length, 1);
  });
});
