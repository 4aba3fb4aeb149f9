// OAuth 2.0 / OpenID Connect: clients, authorization and device grants, sessions, tokens (hashed),
// remembered consents, browser-session authentications and client-assertion replay protection.
//
// Every foreign key that a bulk delete follows (retention of tokens, grants and browser sessions,
// deleting a client or a user) has an index: PostgreSQL does not make one, and without it each
// deleted row would scan the referencing table for its ON DELETE action.

import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { timestamp, boolean, json } = dialect.types;

  await db.schema
    .createTable('user_session_authentications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_session_id', 'text', (c) =>
      c.notNull().references('user_sessions.id').onDelete('cascade'),
    )
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('user_password_id', 'text', (c) =>
      c.references('user_passwords.id').onDelete('set null'),
    )
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('user_session_authentications_session_idx')
    .on('user_session_authentications')
    .columns(['user_session_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('oauth2_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('is_static', boolean, (c) => c.notNull())
    .addColumn('encrypted_client_secret', 'text')
    .addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull())
    .addColumn('token_endpoint_auth_signing_alg', 'text')
    .addColumn('grant_types', json, (c) => c.notNull())
    .addColumn('redirect_uris', json, (c) => c.notNull())
    .addColumn('post_logout_redirect_uris', json, (c) => c.notNull())
    .addColumn('application_type', 'text')
    .addColumn('client_name', 'text')
    .addColumn('client_name_localized', json, (c) => c.notNull())
    .addColumn('client_uri', 'text')
    .addColumn('logo_uri', 'text')
    .addColumn('policy_uri', 'text')
    .addColumn('tos_uri', 'text')
    .addColumn('contacts', json, (c) => c.notNull())
    .addColumn('jwks', json)
    .addColumn('jwks_uri', 'text')
    .addColumn('id_token_signed_response_alg', 'text')
    .addColumn('userinfo_signed_response_alg', 'text')
    .addColumn('initiate_login_uri', 'text')
    .addColumn('metadata_digest', 'text', (c) => c.unique())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('oauth2_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('oauth2_client_id', 'text', (c) =>
      c.notNull().references('oauth2_clients.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('user_session_id', 'text', (c) =>
      c.references('user_sessions.id').onDelete('set null'),
    )
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('finished_at', timestamp)
    .addColumn('user_agent', 'text')
    .addColumn('last_active_at', timestamp)
    .addColumn('last_active_ip', 'text')
    .addColumn('human_name', 'text')
    .execute();
  await db.schema
    .createIndex('oauth2_sessions_user_idx')
    .on('oauth2_sessions')
    .columns(['user_id', 'finished_at'])
    .execute();
  await db.schema
    .createIndex('oauth2_sessions_client_idx')
    .on('oauth2_sessions')
    .column('oauth2_client_id')
    .execute();
  await db.schema
    .createIndex('oauth2_sessions_user_session_idx')
    .on('oauth2_sessions')
    .column('user_session_id')
    .execute();

  await db.schema
    .createTable('oauth2_access_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('oauth2_session_id', 'text', (c) =>
      c.notNull().references('oauth2_sessions.id').onDelete('cascade'),
    )
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('expires_at', timestamp)
    .addColumn('revoked_at', timestamp)
    .addColumn('first_used_at', timestamp)
    .execute();
  await db.schema
    .createIndex('oauth2_access_tokens_session_idx')
    .on('oauth2_access_tokens')
    .column('oauth2_session_id')
    .execute();
  // Retention deletes expired access tokens; most tokens end that way (5-minute lifetime).
  await db.schema
    .createIndex('oauth2_access_tokens_expires_idx')
    .on('oauth2_access_tokens')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('oauth2_refresh_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('oauth2_session_id', 'text', (c) =>
      c.notNull().references('oauth2_sessions.id').onDelete('cascade'),
    )
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('oauth2_access_token_id', 'text', (c) =>
      c.references('oauth2_access_tokens.id').onDelete('set null'),
    )
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('consumed_at', timestamp)
    .addColumn('revoked_at', timestamp)
    .addColumn('next_oauth2_refresh_token_id', 'text', (c) =>
      c.references('oauth2_refresh_tokens.id').onDelete('set null'),
    )
    .execute();
  await db.schema
    .createIndex('oauth2_refresh_tokens_session_idx')
    .on('oauth2_refresh_tokens')
    .column('oauth2_session_id')
    .execute();
  await db.schema
    .createIndex('oauth2_refresh_tokens_access_token_idx')
    .on('oauth2_refresh_tokens')
    .column('oauth2_access_token_id')
    .execute();
  await db.schema
    .createIndex('oauth2_refresh_tokens_next_idx')
    .on('oauth2_refresh_tokens')
    .column('next_oauth2_refresh_token_id')
    .execute();

  await db.schema
    .createTable('oauth2_authorization_grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('oauth2_client_id', 'text', (c) =>
      c.notNull().references('oauth2_clients.id').onDelete('cascade'),
    )
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('state', 'text')
    .addColumn('nonce', 'text')
    .addColumn('response_mode', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'text')
    .addColumn('code_challenge_method', 'text')
    .addColumn('prompt', 'text')
    .addColumn('max_age', 'integer')
    .addColumn('login_hint', 'text')
    .addColumn('ui_locales', 'text')
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('fulfilled_at', timestamp)
    .addColumn('user_session_id', 'text', (c) =>
      c.references('user_sessions.id').onDelete('cascade'),
    )
    .addColumn('code_hash', 'text', (c) => c.unique())
    .addColumn('exchanged_at', timestamp)
    .addColumn('oauth2_session_id', 'text', (c) =>
      c.references('oauth2_sessions.id').onDelete('set null'),
    )
    .addColumn('cancelled_at', timestamp)
    .execute();
  await db.schema
    .createIndex('oauth2_authorization_grants_client_idx')
    .on('oauth2_authorization_grants')
    .column('oauth2_client_id')
    .execute();
  await db.schema
    .createIndex('oauth2_authorization_grants_user_session_idx')
    .on('oauth2_authorization_grants')
    .column('user_session_id')
    .execute();
  await db.schema
    .createIndex('oauth2_authorization_grants_session_idx')
    .on('oauth2_authorization_grants')
    .column('oauth2_session_id')
    .execute();
  await db.schema
    .createIndex('oauth2_authorization_grants_created_idx')
    .on('oauth2_authorization_grants')
    .column('created_at')
    .execute();

  await db.schema
    .createTable('oauth2_device_code_grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('oauth2_client_id', 'text', (c) =>
      c.notNull().references('oauth2_clients.id').onDelete('cascade'),
    )
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('user_code', 'text', (c) => c.notNull().unique())
    .addColumn('device_code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('expires_at', timestamp, (c) => c.notNull())
    .addColumn('last_polled_at', timestamp)
    .addColumn('fulfilled_at', timestamp)
    .addColumn('rejected_at', timestamp)
    .addColumn('user_session_id', 'text', (c) =>
      c.references('user_sessions.id').onDelete('cascade'),
    )
    .addColumn('exchanged_at', timestamp)
    .addColumn('oauth2_session_id', 'text', (c) =>
      c.references('oauth2_sessions.id').onDelete('set null'),
    )
    .addColumn('ip_address', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema
    .createIndex('oauth2_device_code_grants_client_idx')
    .on('oauth2_device_code_grants')
    .column('oauth2_client_id')
    .execute();
  await db.schema
    .createIndex('oauth2_device_code_grants_user_session_idx')
    .on('oauth2_device_code_grants')
    .column('user_session_id')
    .execute();
  await db.schema
    .createIndex('oauth2_device_code_grants_session_idx')
    .on('oauth2_device_code_grants')
    .column('oauth2_session_id')
    .execute();
  await db.schema
    .createIndex('oauth2_device_code_grants_expires_idx')
    .on('oauth2_device_code_grants')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('oauth2_consents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('oauth2_client_id', 'text', (c) =>
      c.notNull().references('oauth2_clients.id').onDelete('cascade'),
    )
    .addColumn('scopes', json, (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('updated_at', timestamp, (c) => c.notNull())
    .addUniqueConstraint('oauth2_consents_user_client_key', ['user_id', 'oauth2_client_id'])
    .execute();
  await db.schema
    .createIndex('oauth2_consents_client_idx')
    .on('oauth2_consents')
    .column('oauth2_client_id')
    .execute();

  // `jti` of client assertions seen, kept until the assertion expires (replay protection). They
  // belong to the client: deleting it forgets them.
  await db.schema
    .createTable('oauth2_client_assertion_jtis')
    .addColumn('oauth2_client_id', 'text', (c) =>
      c.notNull().references('oauth2_clients.id').onDelete('cascade'),
    )
    .addColumn('jti', 'text', (c) => c.notNull())
    .addColumn('expires_at', timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('oauth2_client_assertion_jtis_pkey', ['oauth2_client_id', 'jti'])
    .execute();
  await db.schema
    .createIndex('oauth2_client_assertion_jtis_expires_idx')
    .on('oauth2_client_assertion_jtis')
    .column('expires_at')
    .execute();
}
