// How one MAS limiter (`{burst, per_second}`) becomes a rate-limiter-flexible limiter
// (`{points, duration}`), and the table of every limiter Gatehouse runs.
//
// MAS runs GCRA (a token bucket): `burst` actions at once, then one more every `1/per_second`
// seconds. rate-limiter-flexible counts `points` actions in a fixed window of `duration` seconds
// that starts at the first action. The mapping keeps the two things an operator tunes:
//
//   points   = burst                  the same number of actions allowed at once
//   duration = burst / per_second     the same long-run rate (burst actions per refill of the bucket)
//
// Defaults: login.per_ip 3 / 0.05 s⁻¹ → 3 per 60 s; login.per_account 1800 / 0.5 s⁻¹ → 1800 per
// 3600 s; registration 3 / (3 per hour) → 3 per 3600 s; account_recovery.per_address 3 / (1 per
// hour) → 3 per 10 800 s. What differs from GCRA, both bounded: after the burst is spent, the
// next action waits for the window to end (up to `burst / per_second`) instead of one refill
// interval; and across a window boundary up to 2 × burst actions can pass in a short time. We take
// the fixed window because every store (memory, PostgreSQL) implements it with one atomic upsert,
// which is what makes the limits hold across nodes.

import type { RateLimiterConfig, RateLimitingConfig } from '../config/sections/rate_limiting.ts';

export interface LimiterSpec {
  /** Actions allowed per window. */
  readonly points: number;
  /** The window, in seconds (fractional allowed). */
  readonly duration: number;
}

export function limiterSpec(config: RateLimiterConfig): LimiterSpec {
  // Rounded to the millisecond (at least one): 3 / (3 / 3600) is 3599.9999999999995 in floats.
  const ms = Math.max(1, Math.round((config.burst / config.per_second) * 1000));
  return { points: config.burst, duration: ms / 1000 };
}

/** Every limiter, by the name it has in the configuration (plus Gatehouse's own). */
export type LimiterName =
  | 'login.per_ip'
  | 'login.per_account'
  | 'login.per_account_global'
  | 'registration'
  | 'account_recovery.per_ip'
  | 'account_recovery.per_address'
  | 'email_authentication.per_ip'
  | 'email_authentication.per_address'
  | 'email_authentication.emails_per_session'
  | 'email_authentication.attempt_per_session'
  | 'password_change.per_account';

/**
 * The spec of every limiter from the `rate_limiting` section. Two are Gatehouse's own, built from
 * MAS keys: `login.per_account_global` (the account's whole budget, which only slows; see
 * rate-limiter.ts) and `password_change.per_account` (MAS's docs say the login limits cover
 * password checks during a password change; its code forgets them): the `login.per_ip` rate,
 * keyed by the account, since the person asking is already signed in as it.
 */
export function limiterSpecs(config: RateLimitingConfig): Record<LimiterName, LimiterSpec> {
  return {
    'login.per_ip': limiterSpec(config.login.per_ip),
    'login.per_account': limiterSpec(config.login.per_account),
    'login.per_account_global': limiterSpec(config.login.per_account),
    registration: limiterSpec(config.registration),
    'account_recovery.per_ip': limiterSpec(config.account_recovery.per_ip),
    'account_recovery.per_address': limiterSpec(config.account_recovery.per_address),
    'email_authentication.per_ip': limiterSpec(config.email_authentication.per_ip),
    'email_authentication.per_address': limiterSpec(config.email_authentication.per_address),
    'email_authentication.emails_per_session': limiterSpec(
      config.email_authentication.emails_per_session,
    ),
    'email_authentication.attempt_per_session': limiterSpec(
      config.email_authentication.attempt_per_session,
    ),
    'password_change.per_account': limiterSpec(config.login.per_ip),
  };
}

/**
 * How long an attempt on an account whose whole budget is spent is held back: one refill
 * interval of `login.per_account` (2 s by default), never more than 10 s, so a flood slows every
 * guess but the real user still gets in.
 */
export function loginSlowdownMs(config: RateLimitingConfig): number {
  return Math.min(Math.ceil(1000 / config.login.per_account.per_second), 10_000);
}
