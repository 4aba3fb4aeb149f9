// Kysely's view of the tables. Row types never leave storage/sql/: repositories turn them into the
// plain domain types of src/model/. To add a table: write a migration (migrations/README in
// migrations/index.ts), add its row interface here and register it in `Schema`.

import type { BooleanValue, JsonValue, TimestampValue } from './dialect.ts';

type Timestamp = TimestampValue;

export interface UsersTable {
  id: string;
  username: string;
  created_at: Timestamp;
  locked_at: Timestamp | null;
  deactivated_at: Timestamp | null;
  can_request_admin: BooleanValue;
}

export interface UserPasswordsTable {
  id: string;
  user_id: string;
  hashed_password: string;
  /** The `passwords.schemes[].version` the hash was made with. */
  version: number;
  /** The password row this one re-hashed (on upgrade to a newer scheme), if any. */
  upgraded_from_id: string | null;
  created_at: Timestamp;
}

/** Browser sessions (MAS: `user_sessions`). */
export interface UserSessionsTable {
  id: string;
  user_id: string;
  created_at: Timestamp;
  finished_at: Timestamp | null;
  user_agent: string | null;
  last_active_at: Timestamp | null;
  last_active_ip: string | null;
}

export interface QueueJobsTable {
  id: string;
  queue_name: string;
  payload: JsonValue;
  metadata: JsonValue;
  /** available | running | completed | failed | scheduled | lost */
  status: string;
  attempt: number;
  created_at: Timestamp;
  /** When a `scheduled` job becomes `available`. */
  scheduled_at: Timestamp | null;
  started_at: Timestamp | null;
  started_by: string | null;
  completed_at: Timestamp | null;
  failed_at: Timestamp | null;
  failed_reason: string | null;
  next_attempt_id: string | null;
  /** The cron schedule that created the job, if any. */
  schedule_name: string | null;
}

export interface QueueWorkersTable {
  id: string;
  registered_at: Timestamp;
  last_seen_at: Timestamp;
  shutdown_at: Timestamp | null;
}

/** A single row (`id = 1`): the worker that runs scheduled duties, until `expires_at`. */
export interface QueueLeaderTable {
  id: number;
  queue_worker_id: string;
  elected_at: Timestamp;
  expires_at: Timestamp;
}

export interface QueueSchedulesTable {
  schedule_name: string;
  last_scheduled_at: Timestamp | null;
  last_scheduled_job_id: string | null;
}

export interface UserSessionAuthenticationsTable {
  id: string;
  user_session_id: string;
  /** password (more methods later) */
  method: string;
  user_password_id: string | null;
  created_at: Timestamp;
  /** Set for a sign-in through an upstream provider (0009). */
  upstream_oauth_authorization_session_id?: string | null;
}

export interface OAuth2ClientsTable {
  id: string;
  is_static: BooleanValue;
  encrypted_client_secret: string | null;
  token_endpoint_auth_method: string;
  token_endpoint_auth_signing_alg: string | null;
  /** JSON array of strings. */
  grant_types: JsonValue;
  redirect_uris: JsonValue;
  post_logout_redirect_uris: JsonValue;
  application_type: string | null;
  client_name: string | null;
  /** JSON object: language tag → name. */
  client_name_localized: JsonValue;
  client_uri: string | null;
  logo_uri: string | null;
  policy_uri: string | null;
  tos_uri: string | null;
  contacts: JsonValue;
  jwks: JsonValue | null;
  jwks_uri: string | null;
  id_token_signed_response_alg: string | null;
  userinfo_signed_response_alg: string | null;
  initiate_login_uri: string | null;
  metadata_digest: string | null;
  created_at: Timestamp;
}

export interface OAuth2SessionsTable {
  id: string;
  oauth2_client_id: string;
  user_id: string | null;
  user_session_id: string | null;
  scope: string;
  created_at: Timestamp;
  finished_at: Timestamp | null;
  user_agent: string | null;
  last_active_at: Timestamp | null;
  last_active_ip: string | null;
  human_name: string | null;
  /** The Matrix device its scope names (either form), else null; the scope never changes. */
  device_id: string | null;
}

export interface OAuth2AccessTokensTable {
  id: string;
  oauth2_session_id: string;
  /** Hex SHA-256 of the token. */
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  first_used_at: Timestamp | null;
}

export interface OAuth2RefreshTokensTable {
  id: string;
  oauth2_session_id: string;
  token_hash: string;
  oauth2_access_token_id: string | null;
  created_at: Timestamp;
  consumed_at: Timestamp | null;
  revoked_at: Timestamp | null;
  next_oauth2_refresh_token_id: string | null;
}

export interface OAuth2AuthorizationGrantsTable {
  id: string;
  oauth2_client_id: string;
  redirect_uri: string;
  scope: string;
  state: string | null;
  nonce: string | null;
  response_mode: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  prompt: string | null;
  max_age: number | null;
  login_hint: string | null;
  ui_locales: string | null;
  created_at: Timestamp;
  fulfilled_at: Timestamp | null;
  user_session_id: string | null;
  code_hash: string | null;
  exchanged_at: Timestamp | null;
  oauth2_session_id: string | null;
  cancelled_at: Timestamp | null;
}

export interface OAuth2DeviceCodeGrantsTable {
  id: string;
  oauth2_client_id: string;
  scope: string;
  user_code: string;
  device_code_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_polled_at: Timestamp | null;
  fulfilled_at: Timestamp | null;
  rejected_at: Timestamp | null;
  user_session_id: string | null;
  exchanged_at: Timestamp | null;
  oauth2_session_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
}

export interface OAuth2ConsentsTable {
  id: string;
  user_id: string;
  oauth2_client_id: string;
  /** JSON array of scope tokens. */
  scopes: JsonValue;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OAuth2ClientAssertionJtisTable {
  oauth2_client_id: string;
  jti: string;
  expires_at: Timestamp;
}

/** Compatibility-layer sessions (legacy Matrix login), one device each. */
export interface CompatSessionsTable {
  id: string;
  user_id: string;
  device_id: string;
  user_session_id: string | null;
  is_synapse_admin: BooleanValue;
  human_name: string | null;
  user_agent: string | null;
  last_active_at: Timestamp | null;
  last_active_ip: string | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface CompatAccessTokensTable {
  id: string;
  compat_session_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface CompatRefreshTokensTable {
  id: string;
  compat_session_id: string;
  token_hash: string;
  access_token_id: string | null;
  created_at: Timestamp;
  consumed_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface CompatSsoLoginsTable {
  id: string;
  redirect_uri: string;
  login_token_hash: string | null;
  created_at: Timestamp;
  fulfilled_at: Timestamp | null;
  exchanged_at: Timestamp | null;
  user_session_id: string | null;
  compat_session_id: string | null;
}

/** Per-user leases for homeserver device work (migration 0006_matrix). */
export interface UserLocksTable {
  user_id: string;
  holder: string;
  expires_at: Timestamp;
}

/** Verified addresses; `email_key` is the lower-cased address that lookups use. */
export interface UserEmailsTable {
  id: string;
  user_id: string;
  email: string;
  email_key: string;
  created_at: Timestamp;
}

export interface UserEmailAuthenticationsTable {
  id: string;
  email: string;
  user_session_id: string | null;
  user_registration_id: string | null;
  attempts: number;
  created_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface UserEmailAuthenticationCodesTable {
  id: string;
  user_email_authentication_id: string;
  code: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface UserRegistrationsTable {
  id: string;
  username: string;
  display_name: string | null;
  terms_url: string | null;
  hashed_password: string | null;
  hashed_password_version: number | null;
  user_email_authentication_id: string | null;
  user_registration_token_id: string | null;
  post_auth_action: string | null;
  ip_address: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  completed_at: Timestamp | null;
  /** Set for a registration through an upstream provider (0009). */
  upstream_oauth_authorization_session_id?: string | null;
}

export interface UserRegistrationTokensTable {
  id: string;
  token: string;
  usage_limit: number | null;
  times_used: number;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface UserRecoverySessionsTable {
  id: string;
  email: string;
  ip_address: string | null;
  user_agent: string | null;
  locale: string;
  created_at: Timestamp;
  consumed_at: Timestamp | null;
}

/** `ticket_hash` is the hex SHA-256 of the ticket. */
export interface UserRecoveryTicketsTable {
  id: string;
  user_recovery_session_id: string;
  user_email_id: string;
  ticket_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface UserTermsTable {
  id: string;
  user_id: string;
  terms_url: string;
  created_at: Timestamp;
}

export interface Schema {
  users: UsersTable;
  user_passwords: UserPasswordsTable;
  user_sessions: UserSessionsTable;
  queue_jobs: QueueJobsTable;
  queue_workers: QueueWorkersTable;
  queue_leader: QueueLeaderTable;
  queue_schedules: QueueSchedulesTable;
  user_session_authentications: UserSessionAuthenticationsTable;
  oauth2_clients: OAuth2ClientsTable;
  oauth2_sessions: OAuth2SessionsTable;
  oauth2_access_tokens: OAuth2AccessTokensTable;
  oauth2_refresh_tokens: OAuth2RefreshTokensTable;
  oauth2_authorization_grants: OAuth2AuthorizationGrantsTable;
  oauth2_device_code_grants: OAuth2DeviceCodeGrantsTable;
  oauth2_consents: OAuth2ConsentsTable;
  oauth2_client_assertion_jtis: OAuth2ClientAssertionJtisTable;
  compat_sessions: CompatSessionsTable;
  compat_access_tokens: CompatAccessTokensTable;
  compat_refresh_tokens: CompatRefreshTokensTable;
  compat_sso_logins: CompatSsoLoginsTable;
  user_locks: UserLocksTable;
  user_emails: UserEmailsTable;
  user_email_authentications: UserEmailAuthenticationsTable;
  user_email_authentication_codes: UserEmailAuthenticationCodesTable;
  user_registrations: UserRegistrationsTable;
  user_registration_tokens: UserRegistrationTokensTable;
  user_recovery_sessions: UserRecoverySessionsTable;
  user_recovery_tickets: UserRecoveryTicketsTable;
  user_terms: UserTermsTable;
  rate_limits: RateLimitsTable;
  personal_sessions: PersonalSessionsTable;
  personal_access_tokens: PersonalAccessTokensTable;
  upstream_oauth_providers: UpstreamOAuthProvidersTable;
  upstream_oauth_links: UpstreamOAuthLinksTable;
  upstream_oauth_authorization_sessions: UpstreamOAuthAuthorizationSessionsTable;
  policy_data: PolicyDataTable;
}

/** Rate-limit counters (0007), written by rate-limiter-flexible's PostgreSQL store. */
export interface RateLimitsTable {
  key: string;
  points: number;
  /** Epoch milliseconds when the window ends; null never. */
  expire: number | null;
}

/** Upstream providers (0009): the database copy of `upstream_oauth2.providers[]`. */
export interface UpstreamOAuthProvidersTable {
  id: string;
  issuer: string | null;
  human_name: string | null;
  brand_name: string | null;
  synapse_idp_id: string | null;
  client_id: string;
  encrypted_client_secret: string | null;
  token_endpoint_auth_method: string;
  token_endpoint_signing_alg: string | null;
  /** JSON `{teamId, keyId, encryptedPrivateKey}`. */
  sign_in_with_apple: JsonValue | null;
  id_token_signed_response_alg: string;
  userinfo_signed_response_alg: string | null;
  scope: string;
  discovery_mode: string;
  pkce_method: string;
  fetch_userinfo: BooleanValue;
  authorization_endpoint_override: string | null;
  token_endpoint_override: string | null;
  userinfo_endpoint_override: string | null;
  jwks_uri_override: string | null;
  response_mode: string | null;
  /** JSON object of strings. */
  additional_authorization_parameters: JsonValue;
  forward_login_hint: BooleanValue;
  on_backchannel_logout: string;
  registration_token_required: BooleanValue;
  /** JSON `UpstreamClaimsImports`. */
  claims_imports: JsonValue;
  login_only: BooleanValue;
  /** JSON array of `ClaimRequirement`. */
  claims_requirements: JsonValue;
  /** JSON `AdminClaim`. */
  admin_claim: JsonValue | null;
  ui_order: number;
  created_at: Timestamp;
  disabled_at: Timestamp | null;
}

export interface UpstreamOAuthLinksTable {
  id: string;
  upstream_oauth_provider_id: string;
  user_id: string | null;
  subject: string;
  human_account_name: string | null;
  created_at: Timestamp;
}

export interface UpstreamOAuthAuthorizationSessionsTable {
  id: string;
  upstream_oauth_provider_id: string;
  state: string;
  code_verifier: string | null;
  nonce: string | null;
  post_auth_action: string | null;
  created_at: Timestamp;
  completed_at: Timestamp | null;
  upstream_oauth_link_id: string | null;
  id_token: string | null;
  id_token_claims: JsonValue | null;
  userinfo: JsonValue | null;
  extra_callback_parameters: JsonValue | null;
  id_token_sid: string | null;
  consumed_at: Timestamp | null;
  user_session_id: string | null;
  unlinked_at: Timestamp | null;
}

/** Personal sessions (0008): owned by exactly one of a user or a client, acting as a user. */
export interface PersonalSessionsTable {
  id: string;
  owner_user_id: string | null;
  owner_oauth2_client_id: string | null;
  actor_user_id: string;
  human_name: string;
  /** Space-separated, sorted. */
  scope_list: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
  last_active_at: Timestamp | null;
  last_active_ip: string | null;
}

/** Personal access tokens (0008), by SHA-256; at most one unrevoked per session. */
export interface PersonalAccessTokensTable {
  id: string;
  personal_session_id: string;
  access_token_sha256: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** Policy data posted through the Admin API (0010); the newest row is in force. */
export interface PolicyDataTable {
  id: string;
  created_at: Timestamp;
  data: JsonValue;
}
