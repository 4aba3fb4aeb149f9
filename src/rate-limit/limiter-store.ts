// Where the limiters keep their counters: in this process's memory (one node, and every SQLite
// deployment, which is one node by design), or in PostgreSQL's `rate_limits` table (migration
// 0007) so every `gatehouse server` on the same database shares the same counters.
//
// The PostgreSQL limiters use rate-limiter-flexible's own store on our `pg` pool: one atomic
// upsert per action, and an in-memory "insurance" limiter with the same spec that answers while
// the database cannot (a database outage degrades limits to per node; it never opens the gate
// wide and never turns a sign-in into a 500). Redis is not offered: MAS's `rate_limiting` section
// has no store key, and PostgreSQL already shares the limits.
//
// To add a store: implement `LimiterStore.create` returning any rate-limiter-flexible limiter.

import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { LimiterName, LimiterSpec } from './limiter-spec.ts';

/** The table migration 0007 creates; the library is told not to create it. */
export const RATE_LIMIT_TABLE = 'rate_limits';

export interface LimiterStore {
  readonly kind: 'memory' | 'postgres';
  /** A limiter for `name`; its keys are prefixed with the name, so limiters never collide. */
  create(name: LimiterName, spec: LimiterSpec): RateLimiterAbstract;
}

export function memoryLimiterStore(): LimiterStore {
  return {
    kind: 'memory',
    create: (name, spec) => new RateLimiterMemory({ keyPrefix: name, ...spec }),
  };
}

export function postgresLimiterStore(pool: pg.Pool): LimiterStore {
  let first = true;
  return {
    kind: 'postgres',
    create(name, spec) {
      // Every limiter shares one table, so one of them sweeping expired rows (every five minutes,
      // on an unref'd timer) is enough.
      const clearExpiredByTimeout = first;
      first = false;
      return new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true,
        clearExpiredByTimeout,
        keyPrefix: name,
        ...spec,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, ...spec }),
      });
    },
  };
}
