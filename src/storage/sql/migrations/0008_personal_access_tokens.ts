// Personal access tokens (MAS: `personal_sessions`, `personal_access_tokens`). A personal session
// belongs to exactly one owner (a user or an OAuth 2.0 client, enforced by a CHECK) and acts as
// one user; its tokens are stored as SHA-256 only, and a partial unique index keeps at most one
// unrevoked token per session (MAS's index, with the condition MAS later fixed to
// `revoked_at IS NULL`). `scope_list` is the space-separated, sorted scope (MAS: a TEXT[]).
// Foreign keys followed by deletes and the list filters have indexes.

import { sql, type Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { timestamp } = dialect.types;

  await db.schema
    .createTable('personal_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('owner_oauth2_client_id', 'text', (c) =>
      c.references('oauth2_clients.id').onDelete('cascade'),
    )
    .addColumn('actor_user_id', 'text', (c) =>
      c.notNull().references('users.id').onDelete('cascade'),
    )
    .addColumn('human_name', 'text', (c) => c.notNull())
    .addColumn('scope_list', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('revoked_at', timestamp)
    .addColumn('last_active_at', timestamp)
    .addColumn('last_active_ip', 'text')
    .addCheckConstraint(
      'personal_sessions_exactly_one_owner',
      sql`(owner_user_id is null) <> (owner_oauth2_client_id is null)`,
    )
    .execute();
  await db.schema
    .createIndex('personal_sessions_owner_user_idx')
    .on('personal_sessions')
    .column('owner_user_id')
    .execute();
  await db.schema
    .createIndex('personal_sessions_owner_client_idx')
    .on('personal_sessions')
    .column('owner_oauth2_client_id')
    .execute();
  await db.schema
    .createIndex('personal_sessions_actor_idx')
    .on('personal_sessions')
    .columns(['actor_user_id', 'revoked_at'])
    .execute();

  await db.schema
    .createTable('personal_access_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('personal_session_id', 'text', (c) =>
      c.notNull().references('personal_sessions.id').onDelete('cascade'),
    )
    .addColumn('access_token_sha256', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('expires_at', timestamp)
    .addColumn('revoked_at', timestamp)
    .execute();
  await db.schema
    .createIndex('personal_access_tokens_session_idx')
    .on('personal_access_tokens')
    .column('personal_session_id')
    .execute();
  // At most one usable token per session: regeneration revokes the old one before adding.
  await db.schema
    .createIndex('personal_access_tokens_one_active_idx')
    .on('personal_access_tokens')
    .column('personal_session_id')
    .unique()
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();
}
