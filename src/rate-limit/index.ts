// Rate limits: MAS's `rate_limiting` section applied to sign-in, password change, registration,
// recovery and email codes, with counters shared by every node (PostgreSQL or Redis).
//
//   limiter-spec.ts          {burst, per_second} → {points, duration}, and every limiter's spec
//   limiter-store.ts         memory (one node) or PostgreSQL (`rate_limits`, shared) counters
//   redis-limiter-store.ts   Redis counters (`rate_limiting.store: {kind: redis}`), shared
//   store-outage.ts          the in-memory fallback of a shared store, and its outage log lines
//   client-address.ts        the key a client address counts under (IPv6 by /64)
//   rate-limiter.ts          `RateLimiter`: one check per protected action; the sign-in design
//   rate-limited-error.ts    what a check throws over the limit
//   rate-limit-page.ts       the 429 page people see
//
// To limit one more action: add its name and spec in limiter-spec.ts (from a config key), a
// `check…` method on `RateLimiter`, and call it at the start of the handler.

import type pg from 'pg';
import type { RateLimitingConfig } from '../config/sections/rate_limiting.ts';
import { readInlineOrFile } from '../config/secret-file.ts';
import { memoryLimiterStore, postgresLimiterStore, type LimiterStore } from './limiter-store.ts';
import { RateLimiter } from './rate-limiter.ts';
import type { StoreLogger } from './store-outage.ts';

export { RateLimiter, type LoginCheck } from './rate-limiter.ts';
export { RateLimitedError } from './rate-limited-error.ts';

/**
 * A limiter on a store that needs no connection of its own: with `store` absent or
 * `{kind: database}`, on PostgreSQL (`pool` given) counters live in the database, shared by every
 * node, otherwise in memory; `{kind: memory}` keeps them in memory. A Redis store must be opened
 * with `openRateLimiter`, and is refused here.
 */
export function createRateLimiter(options: {
  config: RateLimitingConfig;
  pool: pg.Pool | null;
  /** Where a PostgreSQL store reports a database outage and its end. */
  logger?: StoreLogger;
  sleep?: (ms: number) => Promise<void>;
}): RateLimiter {
  const kind = options.config.store?.kind ?? 'database';
  if (kind === 'redis') throw new Error('a Redis rate-limit store must be opened: openRateLimiter');
  const store =
    kind === 'memory' || options.pool === null
      ? memoryLimiterStore()
      : postgresLimiterStore(options.pool, options.logger ?? null);
  return limiterOn(store, options);
}

/**
 * The process's limiter, on the store `rate_limiting.store` names; connects to Redis when it
 * names Redis. Close it on shutdown (`RateLimiter.close()`).
 */
export async function openRateLimiter(options: {
  config: RateLimitingConfig;
  pool: pg.Pool | null;
  logger: StoreLogger;
  sleep?: (ms: number) => Promise<void>;
}): Promise<RateLimiter> {
  const store = options.config.store;
  if (store?.kind !== 'redis') return createRateLimiter(options);
  const url = readInlineOrFile(store.url, store.url_file)?.trim();
  if (url === undefined || url === '') {
    throw new Error('rate_limiting.store: the Redis URL is empty (set url or url_file)');
  }
  const { redisLimiterStore } = await import('./redis-limiter-store.ts');
  return limiterOn(
    await redisLimiterStore({ url, keyPrefix: store.key_prefix, logger: options.logger }),
    options,
  );
}

function limiterOn(
  store: LimiterStore,
  options: { config: RateLimitingConfig; sleep?: (ms: number) => Promise<void> },
): RateLimiter {
  return new RateLimiter({
    config: options.config,
    store,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
}
