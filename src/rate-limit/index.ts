// Rate limits: MAS's `rate_limiting` section applied to sign-in, password change, registration,
// recovery and email codes, with counters shared by every node on PostgreSQL.
//
//   limiter-spec.ts        {burst, per_second} → {points, duration}, and every limiter's spec
//   limiter-store.ts       memory (one node) or PostgreSQL (`rate_limits`, shared) counters
//   client-address.ts      the key a client address counts under (IPv6 by /64)
//   rate-limiter.ts        `RateLimiter`: one check per protected action; the sign-in design
//   rate-limited-error.ts  what a check throws over the limit
//   rate-limit-page.ts     the 429 page people see
//
// To limit one more action: add its name and spec in limiter-spec.ts (from a config key), a
// `check…` method on `RateLimiter`, and call it at the start of the handler.

import type pg from 'pg';
import type { RateLimitingConfig } from '../config/sections/rate_limiting.ts';
import { memoryLimiterStore, postgresLimiterStore } from './limiter-store.ts';
import { RateLimiter } from './rate-limiter.ts';

export { RateLimiter, type LoginCheck } from './rate-limiter.ts';
export { RateLimitedError } from './rate-limited-error.ts';

/**
 * The process's limiter: on PostgreSQL (`pool` given) counters live in the database, shared by
 * every node; otherwise in memory.
 */
export function createRateLimiter(options: {
  config: RateLimitingConfig;
  pool: pg.Pool | null;
  sleep?: (ms: number) => Promise<void>;
}): RateLimiter {
  const store = options.pool === null ? memoryLimiterStore() : postgresLimiterStore(options.pool);
  return new RateLimiter({
    config: options.config,
    store,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
}
