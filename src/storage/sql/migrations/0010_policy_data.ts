// Policy data set at run time through the Admin API (MAS: `policy_data`). Rows are only ever
// added; the newest (highest ULID) is the one in force, older ones stay for `GET /policy-data/{id}`
// until pruned. On PostgreSQL a trigger announces each new row (`NOTIFY policy_data_added, '<id>'`)
// so every node picks it up at once rather than at its next periodic reload.

import { sql, type Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { timestamp, json } = dialect.types;

  await db.schema
    .createTable('policy_data')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('data', json, (c) => c.notNull())
    .execute();

  if (dialect.supportsNotify) {
    await sql`
      create function policy_data_notify_added() returns trigger language plpgsql as $$
      begin
        perform pg_notify('policy_data_added', new.id);
        return null;
      end
      $$`.execute(db);
    await sql`
      create trigger policy_data_added
      after insert on policy_data
      for each row
      execute function policy_data_notify_added()`.execute(db);
  }
}
