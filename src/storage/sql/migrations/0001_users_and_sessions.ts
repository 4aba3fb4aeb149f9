// Users, their password hashes and their browser sessions.

import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { timestamp, boolean } = dialect.types;

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('locked_at', timestamp)
    .addColumn('deactivated_at', timestamp)
    .addColumn('can_request_admin', boolean, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('user_passwords')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('hashed_password', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('upgraded_from_id', 'text', (c) =>
      c.references('user_passwords.id').onDelete('set null'),
    )
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('user_passwords_user_id_idx')
    .on('user_passwords')
    .columns(['user_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('user_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('finished_at', timestamp)
    .addColumn('user_agent', 'text')
    .addColumn('last_active_at', timestamp)
    .addColumn('last_active_ip', 'text')
    .execute();
  await db.schema
    .createIndex('user_sessions_user_id_idx')
    .on('user_sessions')
    .column('user_id')
    .execute();
  await db.schema
    .createIndex('user_sessions_finished_at_idx')
    .on('user_sessions')
    .column('finished_at')
    .execute();
}
