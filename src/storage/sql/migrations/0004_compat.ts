// The compatibility layer for legacy Matrix clients (MAS: `compat_sessions`, `compat_access_tokens`,
// `compat_refresh_tokens`, `compat_sso_logins`). Tokens and SSO login tokens are stored as SHA-256
// only (MAS keeps them in plaintext). Foreign keys followed by bulk deletes have indexes.

import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { timestamp, boolean } = dialect.types;

  await db.schema
    .createTable('compat_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('user_session_id', 'text', (c) =>
      c.references('user_sessions.id').onDelete('set null'),
    )
    .addColumn('is_synapse_admin', boolean, (c) => c.notNull())
    .addColumn('human_name', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('last_active_at', timestamp)
    .addColumn('last_active_ip', 'text')
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('finished_at', timestamp)
    .execute();
  // Device replacement and "sessions of a user" look up by (user, device) among active ones.
  await db.schema
    .createIndex('compat_sessions_user_device_idx')
    .on('compat_sessions')
    .columns(['user_id', 'device_id', 'finished_at'])
    .execute();
  await db.schema
    .createIndex('compat_sessions_user_session_idx')
    .on('compat_sessions')
    .column('user_session_id')
    .execute();

  await db.schema
    .createTable('compat_access_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('compat_session_id', 'text', (c) =>
      c.notNull().references('compat_sessions.id').onDelete('cascade'),
    )
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('expires_at', timestamp)
    .addColumn('revoked_at', timestamp)
    .execute();
  await db.schema
    .createIndex('compat_access_tokens_session_idx')
    .on('compat_access_tokens')
    .column('compat_session_id')
    .execute();

  await db.schema
    .createTable('compat_refresh_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('compat_session_id', 'text', (c) =>
      c.notNull().references('compat_sessions.id').onDelete('cascade'),
    )
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('access_token_id', 'text', (c) =>
      c.references('compat_access_tokens.id').onDelete('set null'),
    )
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('consumed_at', timestamp)
    .addColumn('revoked_at', timestamp)
    .execute();
  await db.schema
    .createIndex('compat_refresh_tokens_session_idx')
    .on('compat_refresh_tokens')
    .column('compat_session_id')
    .execute();
  await db.schema
    .createIndex('compat_refresh_tokens_access_token_idx')
    .on('compat_refresh_tokens')
    .column('access_token_id')
    .execute();

  await db.schema
    .createTable('compat_sso_logins')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    // Made when the login is completed: only then does the client get the token.
    .addColumn('login_token_hash', 'text', (c) => c.unique())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('fulfilled_at', timestamp)
    .addColumn('exchanged_at', timestamp)
    .addColumn('user_session_id', 'text', (c) =>
      c.references('user_sessions.id').onDelete('set null'),
    )
    .addColumn('compat_session_id', 'text', (c) =>
      c.references('compat_sessions.id').onDelete('set null'),
    )
    .execute();
  await db.schema
    .createIndex('compat_sso_logins_user_session_idx')
    .on('compat_sso_logins')
    .column('user_session_id')
    .execute();
  await db.schema
    .createIndex('compat_sso_logins_compat_session_idx')
    .on('compat_sso_logins')
    .column('compat_session_id')
    .execute();
}
