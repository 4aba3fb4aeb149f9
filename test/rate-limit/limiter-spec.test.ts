import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rateLimitingSchema } from '../../src/config/sections/rate_limiting.ts';
import { limiterSpec, limiterSpecs, loginSlowdownMs } from '../../src/rate-limit/limiter-spec.ts';

describe('limiterSpec', () => {
  it('keeps the burst and the long-run rate', () => {
    assert.deepEqual(limiterSpec({ burst: 3, per_second: 0.05 }), { points: 3, duration: 60 });
    assert.deepEqual(limiterSpec({ burst: 10, per_second: 4 }), { points: 10, duration: 2.5 });
  });

  it("maps MAS's defaults", () => {
    const specs = limiterSpecs(rateLimitingSchema.parse({}));
    assert.deepEqual(specs['login.per_ip'], { points: 3, duration: 60 });
    assert.deepEqual(specs['login.per_account'], { points: 1800, duration: 3600 });
    assert.deepEqual(specs['login.per_account_global'], { points: 1800, duration: 3600 });
    assert.deepEqual(specs.registration, { points: 3, duration: 3600 });
    assert.deepEqual(specs['account_recovery.per_ip'], { points: 3, duration: 3600 });
    assert.deepEqual(specs['account_recovery.per_address'], { points: 3, duration: 10_800 });
    assert.deepEqual(specs['email_authentication.per_ip'], { points: 5, duration: 300 });
    assert.deepEqual(specs['email_authentication.per_address'], { points: 3, duration: 10_800 });
    assert.deepEqual(specs['email_authentication.emails_per_session'], {
      points: 2,
      duration: 600,
    });
    assert.deepEqual(specs['email_authentication.attempt_per_session'], {
      points: 10,
      duration: 600,
    });
    // Password checks during a password change use the sign-in rate, per account.
    assert.deepEqual(specs['password_change.per_account'], { points: 3, duration: 60 });
  });

  it('follows the configuration', () => {
    const specs = limiterSpecs(
      rateLimitingSchema.parse({
        login: { per_ip: { burst: 7, per_second: 7 } },
        email_authentication: { attempt_per_session: { burst: 4, per_second: 0.5 } },
      }),
    );
    assert.deepEqual(specs['login.per_ip'], { points: 7, duration: 1 });
    assert.deepEqual(specs['password_change.per_account'], { points: 7, duration: 1 });
    assert.deepEqual(specs['email_authentication.attempt_per_session'], { points: 4, duration: 8 });
    assert.deepEqual(specs['login.per_account'], { points: 1800, duration: 3600 });
  });
});

describe('loginSlowdownMs', () => {
  it('is one refill interval of login.per_account, at most 10 s', () => {
    assert.equal(loginSlowdownMs(rateLimitingSchema.parse({})), 2000);
    const slow = rateLimitingSchema.parse({
      login: { per_account: { burst: 5, per_second: 0.01 } },
    });
    assert.equal(loginSlowdownMs(slow), 10_000);
    const fast = rateLimitingSchema.parse({ login: { per_account: { burst: 5, per_second: 40 } } });
    assert.equal(loginSlowdownMs(fast), 25);
  });
});
