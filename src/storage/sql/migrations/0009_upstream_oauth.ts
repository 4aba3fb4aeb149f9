// Upstream OAuth 2.0 / OpenID Connect providers (MAS: `upstream_oauth_providers`,
// `upstream_oauth_links`, `upstream_oauth_authorization_sessions`).
//
// Providers are the database copy of `upstream_oauth2.providers[]` (written by the provider sync):
// scalar settings are columns, structured ones (claims imports, extra authorization parameters,
// Sign in with Apple, the Gatehouse-only claim requirements and admin claim) are JSON. The client
// secret and the Apple private key are stored encrypted. Links map (provider, subject) to a user;
// a link without a user is a registration in progress. Authorization sessions are the login
// attempts; they name the browser session they signed in, and the ID token's `sid`, which
// back-channel logout looks up. Registrations and browser authentications made through a
// provider point at the authorization session they came from, as in MAS.

import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { timestamp, boolean, json } = dialect.types;

  await db.schema
    .createTable('upstream_oauth_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('issuer', 'text')
    .addColumn('human_name', 'text')
    .addColumn('brand_name', 'text')
    .addColumn('synapse_idp_id', 'text')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('encrypted_client_secret', 'text')
    .addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull())
    .addColumn('token_endpoint_signing_alg', 'text')
    .addColumn('sign_in_with_apple', json)
    .addColumn('id_token_signed_response_alg', 'text', (c) => c.notNull())
    .addColumn('userinfo_signed_response_alg', 'text')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('discovery_mode', 'text', (c) => c.notNull())
    .addColumn('pkce_method', 'text', (c) => c.notNull())
    .addColumn('fetch_userinfo', boolean, (c) => c.notNull())
    .addColumn('authorization_endpoint_override', 'text')
    .addColumn('token_endpoint_override', 'text')
    .addColumn('userinfo_endpoint_override', 'text')
    .addColumn('jwks_uri_override', 'text')
    .addColumn('response_mode', 'text')
    .addColumn('additional_authorization_parameters', json, (c) => c.notNull())
    .addColumn('forward_login_hint', boolean, (c) => c.notNull())
    .addColumn('on_backchannel_logout', 'text', (c) => c.notNull())
    .addColumn('registration_token_required', boolean, (c) => c.notNull())
    .addColumn('claims_imports', json, (c) => c.notNull())
    .addColumn('login_only', boolean, (c) => c.notNull())
    .addColumn('claims_requirements', json, (c) => c.notNull())
    .addColumn('admin_claim', json)
    .addColumn('ui_order', 'integer', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('disabled_at', timestamp)
    .execute();

  await db.schema
    .createTable('upstream_oauth_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('upstream_oauth_provider_id', 'text', (c) =>
      c.notNull().references('upstream_oauth_providers.id').onDelete('cascade'),
    )
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('human_account_name', 'text')
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addUniqueConstraint('upstream_oauth_links_provider_subject_key', [
      'upstream_oauth_provider_id',
      'subject',
    ])
    .execute();
  await db.schema
    .createIndex('upstream_oauth_links_user_idx')
    .on('upstream_oauth_links')
    .column('user_id')
    .execute();

  await db.schema
    .createTable('upstream_oauth_authorization_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('upstream_oauth_provider_id', 'text', (c) =>
      c.notNull().references('upstream_oauth_providers.id').onDelete('cascade'),
    )
    .addColumn('state', 'text', (c) => c.notNull().unique())
    .addColumn('code_verifier', 'text')
    .addColumn('nonce', 'text')
    .addColumn('post_auth_action', 'text')
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('completed_at', timestamp)
    .addColumn('upstream_oauth_link_id', 'text', (c) =>
      c.references('upstream_oauth_links.id').onDelete('set null'),
    )
    .addColumn('id_token', 'text')
    .addColumn('id_token_claims', json)
    .addColumn('userinfo', json)
    .addColumn('extra_callback_parameters', json)
    .addColumn('id_token_sid', 'text')
    .addColumn('consumed_at', timestamp)
    .addColumn('user_session_id', 'text', (c) =>
      c.references('user_sessions.id').onDelete('set null'),
    )
    .addColumn('unlinked_at', timestamp)
    .execute();
  await db.schema
    .createIndex('upstream_oauth_sessions_provider_idx')
    .on('upstream_oauth_authorization_sessions')
    .column('upstream_oauth_provider_id')
    .execute();
  await db.schema
    .createIndex('upstream_oauth_sessions_link_idx')
    .on('upstream_oauth_authorization_sessions')
    .column('upstream_oauth_link_id')
    .execute();
  await db.schema
    .createIndex('upstream_oauth_sessions_user_session_idx')
    .on('upstream_oauth_authorization_sessions')
    .column('user_session_id')
    .execute();
  await db.schema
    .createIndex('upstream_oauth_sessions_sid_idx')
    .on('upstream_oauth_authorization_sessions')
    .columns(['upstream_oauth_provider_id', 'id_token_sid'])
    .execute();
  await db.schema
    .createIndex('upstream_oauth_sessions_created_idx')
    .on('upstream_oauth_authorization_sessions')
    .column('created_at')
    .execute();

  // Nullable columns added to existing tables: allowed by both dialects with a foreign key.
  await db.schema
    .alterTable('user_registrations')
    .addColumn('upstream_oauth_authorization_session_id', 'text', (c) =>
      c.references('upstream_oauth_authorization_sessions.id').onDelete('set null'),
    )
    .execute();
  await db.schema
    .alterTable('user_session_authentications')
    .addColumn('upstream_oauth_authorization_session_id', 'text', (c) =>
      c.references('upstream_oauth_authorization_sessions.id').onDelete('set null'),
    )
    .execute();
}
