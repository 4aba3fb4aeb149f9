// Accounts: verified email addresses, email authentications and their codes, password
// registrations in progress, registration tokens, password recovery sessions and tickets, and
// accepted terms of service (MAS: `user_emails`, `user_email_authentications(_codes)`,
// `user_registrations`, `user_registration_tokens`, `user_recovery_sessions`,
// `user_recovery_tickets`, `user_terms`).
//
// Addresses are looked up case-insensitively through `email_key` (the lower-cased address, made
// in TypeScript so both dialects agree on what "lower case" means). Recovery tickets are stored as
// SHA-256 hex. Foreign keys followed by bulk deletes have indexes (see 0003_oauth2.ts).

import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialect.ts';

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { timestamp } = dialect.types;

  await db.schema
    .createTable('user_emails')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_key', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addUniqueConstraint('user_emails_user_email_key', ['user_id', 'email_key'])
    .execute();
  await db.schema
    .createIndex('user_emails_email_idx')
    .on('user_emails')
    .column('email_key')
    .execute();

  await db.schema
    .createTable('user_registration_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('usage_limit', 'integer')
    .addColumn('times_used', 'integer', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('last_used_at', timestamp)
    .addColumn('expires_at', timestamp)
    .addColumn('revoked_at', timestamp)
    .execute();

  // The email authentication points at the registration and the registration at its (current)
  // email authentication; the second link is added without a constraint to avoid a cycle, and
  // is checked by the code that sets it.
  await db.schema
    .createTable('user_registrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('terms_url', 'text')
    .addColumn('hashed_password', 'text')
    .addColumn('hashed_password_version', 'integer')
    .addColumn('user_email_authentication_id', 'text')
    .addColumn('user_registration_token_id', 'text', (c) =>
      c.references('user_registration_tokens.id').onDelete('set null'),
    )
    .addColumn('post_auth_action', 'text')
    .addColumn('ip_address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('completed_at', timestamp)
    .execute();
  await db.schema
    .createIndex('user_registrations_created_idx')
    .on('user_registrations')
    .column('created_at')
    .execute();
  await db.schema
    .createIndex('user_registrations_token_idx')
    .on('user_registrations')
    .column('user_registration_token_id')
    .execute();

  await db.schema
    .createTable('user_email_authentications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('user_session_id', 'text', (c) =>
      c.references('user_sessions.id').onDelete('cascade'),
    )
    .addColumn('user_registration_id', 'text', (c) =>
      c.references('user_registrations.id').onDelete('cascade'),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('completed_at', timestamp)
    .execute();
  await db.schema
    .createIndex('user_email_authentications_session_idx')
    .on('user_email_authentications')
    .column('user_session_id')
    .execute();
  await db.schema
    .createIndex('user_email_authentications_registration_idx')
    .on('user_email_authentications')
    .column('user_registration_id')
    .execute();
  await db.schema
    .createIndex('user_email_authentications_created_idx')
    .on('user_email_authentications')
    .column('created_at')
    .execute();

  await db.schema
    .createTable('user_email_authentication_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_email_authentication_id', 'text', (c) =>
      c.notNull().references('user_email_authentications.id').onDelete('cascade'),
    )
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('expires_at', timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('user_email_authentication_codes_auth_idx')
    .on('user_email_authentication_codes')
    .columns(['user_email_authentication_id', 'code'])
    .execute();

  await db.schema
    .createTable('user_recovery_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('ip_address', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('consumed_at', timestamp)
    .execute();
  await db.schema
    .createIndex('user_recovery_sessions_created_idx')
    .on('user_recovery_sessions')
    .column('created_at')
    .execute();

  await db.schema
    .createTable('user_recovery_tickets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_recovery_session_id', 'text', (c) =>
      c.notNull().references('user_recovery_sessions.id').onDelete('cascade'),
    )
    .addColumn('user_email_id', 'text', (c) =>
      c.notNull().references('user_emails.id').onDelete('cascade'),
    )
    .addColumn('ticket_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addColumn('expires_at', timestamp, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('user_recovery_tickets_session_idx')
    .on('user_recovery_tickets')
    .column('user_recovery_session_id')
    .execute();
  await db.schema
    .createIndex('user_recovery_tickets_email_idx')
    .on('user_recovery_tickets')
    .column('user_email_id')
    .execute();

  await db.schema
    .createTable('user_terms')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('terms_url', 'text', (c) => c.notNull())
    .addColumn('created_at', timestamp, (c) => c.notNull())
    .addUniqueConstraint('user_terms_user_url_key', ['user_id', 'terms_url'])
    .execute();
}
