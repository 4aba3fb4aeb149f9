// Sign-in limits through the real app (SQLite, so the in-memory store): the per-address block with
// its 429 page and Retry-After, recovery once the window has passed, and the per-account limit
// that slows a guesser without ever locking the real user out.

import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  addUser,
  CookieJar,
  hiddenField,
  startTestApp,
  type TestApp,
  type TestAppOptions,
} from '../helpers/app.ts';

const PASSWORD = 'correct horse battery staple';

async function attempt(
  h: TestApp,
  ip: string,
  username: string,
  password: string,
): Promise<LightMyRequestResponse> {
  const jar = new CookieJar();
  const page = await h.app.inject({ method: 'GET', url: '/login', remoteAddress: ip });
  jar.update(page);
  const csrf = hiddenField(page.body, 'csrf');
  assert.ok(csrf !== null, 'the login page has a CSRF field');
  return h.app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress: ip,
    headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ csrf, username, password }).toString(),
  });
}

let h: TestApp | undefined;
afterEach(async () => {
  mock.timers.reset();
  await h?.close();
  h = undefined;
});

async function start(rateLimiting: Record<string, unknown>, opts: TestAppOptions = {}) {
  h = await startTestApp({ rate_limiting: rateLimiting }, opts);
  await addUser(h, 'alice', PASSWORD);
  return h;
}

describe('login.per_ip', () => {
  it('refuses a client over its budget with a 429 page and Retry-After, then lets it in again', async () => {
    // rate-limiter-flexible reads Date.now() itself (it takes no clock), so travel with it.
    mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-03-01T10:00:00Z') });
    const app = await start({ login: { per_ip: { burst: 2, per_second: 2 / 60 } } });

    assert.equal((await attempt(app, '192.0.2.7', 'alice', 'wrong')).statusCode, 400);
    assert.equal((await attempt(app, '192.0.2.7', 'alice', 'wrong')).statusCode, 400);
    const refused = await attempt(app, '192.0.2.7', 'alice', PASSWORD);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '60');
    assert.match(String(refused.headers['content-type']), /^text\/html/);
    assert.match(refused.body, /Too many attempts/);
    assert.match(refused.body, /Wait about 60 seconds/);
    assert.doesNotMatch(refused.body, /login\.per_ip|RateLimit/);

    // Another address is not affected.
    assert.equal((await attempt(app, '198.51.100.9', 'alice', PASSWORD)).statusCode, 303);

    mock.timers.tick(30_000);
    const stillRefused = await attempt(app, '192.0.2.7', 'alice', PASSWORD);
    assert.equal(stillRefused.statusCode, 429);
    assert.equal(stillRefused.headers['retry-after'], '30');

    mock.timers.tick(31_000);
    assert.equal((await attempt(app, '192.0.2.7', 'alice', PASSWORD)).statusCode, 303);
  });

  it('counts a whole IPv6 /64 as one client', async () => {
    const app = await start({ login: { per_ip: { burst: 1, per_second: 1 / 600 } } });
    assert.equal((await attempt(app, '2001:db8:1:2::1', 'alice', 'wrong')).statusCode, 400);
    assert.equal((await attempt(app, '2001:db8:1:2:ffff::9', 'alice', 'wrong')).statusCode, 429);
    assert.equal((await attempt(app, '2001:db8:1:3::1', 'alice', 'wrong')).statusCode, 400);
  });
});

describe('login.per_account', () => {
  it('slows a guesser but never locks the real user out', async () => {
    const waits: number[] = [];
    const app = await start(
      {
        login: {
          per_ip: { burst: 100, per_second: 100 / 60 },
          per_account: { burst: 3, per_second: 3 / 3600 },
        },
      },
      {
        rateLimiterSleep: async (ms) => {
          waits.push(ms);
        },
      },
    );
    const attacker = '203.0.113.66';
    for (let i = 0; i < 3; i++) {
      assert.equal((await attempt(app, attacker, 'alice', `guess-${i}`)).statusCode, 400);
    }
    assert.deepEqual(waits, [], 'no slow-down while the account has budget');
    // The attacker's source is now refused for this account…
    const refused = await attempt(app, attacker, 'alice', 'guess-3');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.headers['retry-after'], '3600');
    // …and only for this account.
    assert.equal((await attempt(app, attacker, 'bob', 'guess')).statusCode, 400);

    // The owner, from another address, still signs in; the spent account budget only holds the
    // attempt back (one refill interval: 1200 s, capped at 10 s).
    const owner = await attempt(app, '198.51.100.20', 'alice', PASSWORD);
    assert.equal(owner.statusCode, 303);
    assert.deepEqual(waits, [10_000]);

    // A second guesser address on the exhausted account is slowed, not refused, until its own
    // per-source budget is spent.
    const other = '203.0.113.67';
    assert.equal((await attempt(app, other, 'alice', 'guess-a')).statusCode, 400);
    assert.equal(waits.length, 2);
    // The attacker's first address stays refused even after the owner's success.
    assert.equal((await attempt(app, attacker, 'alice', PASSWORD)).statusCode, 429);
  });

  it("forgets a source's failures once it signs in", async () => {
    const app = await start(
      {
        login: {
          per_ip: { burst: 100, per_second: 100 / 60 },
          per_account: { burst: 3, per_second: 3 / 3600 },
        },
      },
      { rateLimiterSleep: async () => {} },
    );
    const ip = '198.51.100.30';
    for (const password of ['typo', 'typo', PASSWORD, 'typo', 'typo', PASSWORD]) {
      // Without the reset, the fourth attempt would be refused (a budget of 3 for this source).
      const response = await attempt(app, ip, 'alice', password);
      assert.equal(response.statusCode, password === PASSWORD ? 303 : 400, password);
    }
    for (let i = 0; i < 3; i++) {
      assert.equal((await attempt(app, ip, 'alice', 'typo')).statusCode, 400);
    }
    assert.equal((await attempt(app, ip, 'alice', PASSWORD)).statusCode, 429);
  });
});
