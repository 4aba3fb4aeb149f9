// Homeserver integration: per-user leases (`user_locks`) that keep the device reconciliation of a
// user (the `sync-devices` job) and a login creating a device for that user from running at the
// same time, across every worker and server process. A lease expires by itself, so a process that
// dies holding one blocks nobody for long.

import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { timestamp } = dialect.types;
  await db.schema
    .createTable('user_locks')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', timestamp, (c) => c.notNull())
    .execute();
}
