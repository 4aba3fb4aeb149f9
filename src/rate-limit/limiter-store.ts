// Where the limiters keep their counters (`rate_limiting.store`, Gatehouse's own key): in this
// process's memory (one node, and every SQLite deployment, which is one node by design), in
// PostgreSQL's `rate_limits` table (migration 0007) so every `gatehouse server` on the same
// database shares the same counters, or in Redis (redis-limiter-store.ts).
//
// The PostgreSQL limiters use rate-limiter-flexible's own store on our `pg` pool: one atomic
// upsert per action, and an in-memory "insurance" limiter with the same spec that answers while
// the database cannot (a database outage degrades limits to per node; it never opens the gate
// wide and never turns a sign-in into a 500). The outage is logged once: a warning at the first
// fallback, an info line at the first answer from the database after it (store-outage.ts). The
// Redis store behaves the same when Redis is down.
//
// To add a store: implement `LimiterStore.create` returning any rate-limiter-flexible limiter
// (and `close` if it holds a connection), and choose it in index.ts.

import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  type RateLimiterAbstract,
  type RateLimiterRes,
} from 'rate-limiter-flexible';
import type { LimiterName, LimiterSpec } from './limiter-spec.ts';
import { FallbackLimiter, StoreOutage, type StoreLogger } from './store-outage.ts';

/** The table migration 0007 creates; the library is told not to create it. */
export const RATE_LIMIT_TABLE = 'rate_limits';

export interface LimiterStore {
  readonly kind: 'memory' | 'postgres' | 'redis';
  /** A limiter for `name`; its keys are prefixed with the name, so limiters never collide. */
  create(name: LimiterName, spec: LimiterSpec): RateLimiterAbstract;
  /** Closes the store's own connection, if it has one (not the database pool, which is shared). */
  close?(): Promise<void>;
}

export function memoryLimiterStore(): LimiterStore {
  return {
    kind: 'memory',
    create: (name, spec) => new RateLimiterMemory({ keyPrefix: name, ...spec }),
  };
}

/**
 * A PostgreSQL limiter that tells `outage` when the database answered: a call during which the
 * insurance limiter was not used got its answer (allowed or over the limit) from the database.
 */
class ReportingPostgresLimiter extends RateLimiterPostgres {
  readonly #outage: StoreOutage;

  constructor(options: ConstructorParameters<typeof RateLimiterPostgres>[0], outage: StoreOutage) {
    super(options);
    this.#outage = outage;
  }

  async #reporting<T>(call: () => Promise<T>): Promise<T> {
    const before = this.#outage.fallbacks;
    try {
      return await call();
    } finally {
      if (this.#outage.fallbacks === before) this.#outage.answered();
    }
  }

  override consume(
    key: string | number,
    points?: number,
    options?: Record<string, unknown>,
  ): Promise<RateLimiterRes> {
    return this.#reporting(() => super.consume(key, points, options));
  }

  override reward(
    key: string | number,
    points?: number,
    options?: Record<string, unknown>,
  ): Promise<RateLimiterRes> {
    return this.#reporting(() => super.reward(key, points, options));
  }

  override delete(key: string | number, options?: Record<string, unknown>): Promise<boolean> {
    return this.#reporting(() => super.delete(key, options));
  }
}

/** `logger`: where the store reports a database outage (one warning) and its end (one info). */
export function postgresLimiterStore(
  pool: pg.Pool,
  logger: StoreLogger | null = null,
): LimiterStore {
  let first = true;
  const outage = new StoreOutage(
    logger,
    { store: 'postgres' },
    {
      down: 'rate limits: PostgreSQL is unreachable; each node counts in its own memory until it is back',
      up: 'rate limits: PostgreSQL is reachable again; limits are shared again',
    },
  );
  return {
    kind: 'postgres',
    create(name, spec) {
      // Every limiter shares one table, so one of them sweeping expired rows (every five minutes,
      // on an unref'd timer) is enough.
      const clearExpiredByTimeout = first;
      first = false;
      return new ReportingPostgresLimiter(
        {
          storeClient: pool,
          storeType: 'pool',
          tableName: RATE_LIMIT_TABLE,
          tableCreated: true,
          clearExpiredByTimeout,
          keyPrefix: name,
          ...spec,
          insuranceLimiter: new FallbackLimiter({ keyPrefix: name, ...spec }, (reason) =>
            outage.fellBack(`${name}: ${reason}`),
          ),
        },
        outage,
      );
    },
  };
}
