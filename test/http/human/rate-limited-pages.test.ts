// The registration, recovery and email-code limits through the real app: over each limit the
// person gets the readable 429 page ("Too many attempts", how long to wait in words, a way back)
// with `Retry-After`, and never the name of the limiter. Every request comes from 127.0.0.1, so
// per-address limits count all of a test's requests; each test has a fresh app (memory store).

import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import {
  CookieJar,
  enterCode,
  get,
  startRegistration,
  startRegistrationApp,
  STRONG_PASSWORD,
  submitForm,
  type TestApp,
} from './register-kit.ts';

let h: TestApp | undefined;
afterEach(async () => {
  mock.timers.reset();
  await h?.close();
  h = undefined;
});

/** A fresh app with these `rate_limiting` settings; rate-limiter-flexible reads Date.now(). */
async function start(rateLimiting: Record<string, unknown>): Promise<TestApp> {
  mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-03-01T10:00:00Z') });
  h = await startRegistrationApp({ rate_limiting: rateLimiting });
  return h;
}

/** The 429 page: Retry-After, the wait in words, a link back, no limiter name. */
function assertTooMany(
  response: LightMyRequestResponse,
  retryAfter: string,
  wait: RegExp,
  back: string,
): void {
  assert.equal(response.statusCode, 429, response.body.slice(0, 300));
  assert.equal(response.headers['retry-after'], retryAfter);
  assert.match(String(response.headers['content-type']), /^text\/html/);
  assert.match(response.body, /Too many attempts/);
  assert.match(response.body, wait);
  assert.match(response.body, new RegExp(`href="${back}"`));
  assert.doesNotMatch(response.body, /registration|account_recovery|email_authentication|per_ip/);
}

/** A registration form that fails validation (cheap: nothing is hashed), still counted. */
const invalidForm = { username: 'someone', email: 'someone@example.com', password: '' };

describe('registration limits', () => {
  it('registration: per address, before the form is even checked', async () => {
    const app = await start({ registration: { burst: 2, per_second: 2 / 3600 } });
    const jar = new CookieJar();
    for (let i = 0; i < 2; i++) {
      assert.equal((await submitForm(app, jar, '/register/password', invalidForm)).statusCode, 400);
    }
    const refused = await submitForm(app, jar, '/register/password', {
      username: 'alice',
      email: 'alice@example.com',
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    assertTooMany(refused, '3600', /Wait about 60 minutes/, '/register/password');
    mock.timers.tick(1_800_000);
    const later = await submitForm(app, jar, '/register/password', invalidForm);
    assert.equal(later.headers['retry-after'], '1800');
    mock.timers.tick(1_800_001);
    assert.equal((await submitForm(app, jar, '/register/password', invalidForm)).statusCode, 400);
  });

  it('email_authentication.per_ip: codes mailed for one client address', async () => {
    const app = await start({ email_authentication: { per_ip: { burst: 1, per_second: 1 / 60 } } });
    await startRegistration(app, { username: 'alice', email: 'alice@example.com' });
    const refused = await submitForm(app, new CookieJar(), '/register/password', {
      username: 'bob',
      email: 'bob@example.com',
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    assertTooMany(refused, '60', /Wait about 60 seconds/, '/register/password');
  });

  it('email_authentication.per_address: codes mailed to one address, from any registration', async () => {
    const app = await start({
      email_authentication: { per_address: { burst: 1, per_second: 1 / 3600 } },
    });
    await startRegistration(app, { username: 'alice', email: 'shared@example.com' });
    const refused = await submitForm(app, new CookieJar(), '/register/password', {
      username: 'bob',
      email: 'Shared@Example.com',
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    assertTooMany(refused, '3600', /Wait about 60 minutes/, '/register/password');
  });

  it('email_authentication.emails_per_session: code re-sends', async () => {
    const app = await start({
      email_authentication: { emails_per_session: { burst: 1, per_second: 1 / 300 } },
    });
    const r = await startRegistration(app);
    const verify = `/register/steps/${r.id}/verify-email`;
    const first = await submitForm(app, r.jar, verify, { action: 'resend' });
    assert.equal(first.statusCode, 200, first.body.slice(0, 300));
    assert.match(first.body, /A new code is on its way/);
    const refused = await submitForm(app, r.jar, verify, { action: 'resend' });
    assertTooMany(refused, '300', /Wait about 5 minutes/, verify);
  });

  it('email_authentication.attempt_per_session: code guesses', async () => {
    const app = await start({
      email_authentication: { attempt_per_session: { burst: 2, per_second: 2 / 60 } },
    });
    const r = await startRegistration(app);
    for (const guess of ['000000', '111111']) {
      assert.equal((await enterCode(app, r, guess)).statusCode, 400);
    }
    const refused = await enterCode(app, r, '222222');
    assertTooMany(refused, '60', /Wait about 60 seconds/, `/register/steps/${r.id}/verify-email`);
  });
});

describe('account recovery limits', () => {
  it('account_recovery.per_ip: requests from one address, whatever the email', async () => {
    const app = await start({ account_recovery: { per_ip: { burst: 2, per_second: 2 / 3600 } } });
    for (const email of ['a@example.com', 'b@example.com']) {
      assert.equal((await submitForm(app, new CookieJar(), '/recover', { email })).statusCode, 303);
    }
    const refused = await submitForm(app, new CookieJar(), '/recover', { email: 'c@example.com' });
    assertTooMany(refused, '3600', /Wait about 60 minutes/, '/recover');
  });

  it('account_recovery.per_address: requests and re-sends for one address', async () => {
    const app = await start({
      account_recovery: { per_address: { burst: 2, per_second: 1 / 3600 } },
    });
    const jar = new CookieJar();
    const asked = await submitForm(app, jar, '/recover', { email: 'alice@example.com' });
    assert.equal(asked.statusCode, 303);
    const progress = asked.headers.location as string;
    // The re-send on the progress page counts against the same address.
    const resent = await submitForm(app, jar, progress, {});
    assert.equal(resent.statusCode, 200, resent.body.slice(0, 300));
    assert.match(resent.body, /again/);
    const refused = await submitForm(app, jar, progress, {});
    assertTooMany(refused, '7200', /Wait about 2 hours/, '/recover');
    // Asking afresh for the same address (any case) is refused too.
    const again = await submitForm(app, new CookieJar(), '/recover', {
      email: 'ALICE@example.com',
    });
    assert.equal(again.statusCode, 429);
    assert.equal((await get(app, new CookieJar(), '/recover')).statusCode, 200);
  });
});
