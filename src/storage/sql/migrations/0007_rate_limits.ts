// Rate-limit counters shared by every node (src/rate-limit/limiter-store.ts): one row per limiter
// and key, in the layout rate-limiter-flexible's PostgreSQL store reads and writes (it is told the
// table exists and never creates it). `key` is text rather than the library's varchar(255):
// keys hold account names and email addresses that can be longer. `expire` is in epoch
// milliseconds, a double because windows may be fractional seconds. SQLite nodes keep their
// counters in memory (one node), so there the table stays empty.

import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, _dialect: SqlDialect): Promise<void> {
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expire', 'double precision')
    .execute();
  // The sweep deletes rows whose window ended.
  await db.schema
    .createIndex('rate_limits_expire_idx')
    .on('rate_limits')
    .column('expire')
    .execute();
}
