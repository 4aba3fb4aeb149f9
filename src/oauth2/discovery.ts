// The authorization server metadata (RFC 8414 / OpenID Connect Discovery 1.0) served at
// `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`. Same fields
// and endpoint paths as MAS, plus `end_session_endpoint`. Only what actually works is advertised:
// `code` is the one response type, and the scopes are the OpenID ones (Matrix scopes are added by
// the Matrix layer).

import type { AccountConfig } from '../config/sections/account.ts';
import type { OauthConfig } from '../config/sections/oauth.ts';
import { CLIENT_AUTH_METHODS, CLIENT_AUTH_SIGNING_ALGORITHMS } from './client-metadata.ts';
import { CODE_CHALLENGE_METHODS } from './pkce.ts';

/** Endpoint paths under `http.public_base`, as MAS routes them. */
export const OAUTH_PATHS = {
  authorization: '/authorize',
  token: '/oauth2/token',
  introspection: '/oauth2/introspect',
  revocation: '/oauth2/revoke',
  userinfo: '/oauth2/userinfo',
  registration: '/oauth2/registration',
  deviceAuthorization: '/oauth2/device',
  jwks: '/oauth2/keys.json',
  endSession: '/oauth2/logout',
  accountManagement: '/account/',
} as const;

export const SCOPES_SUPPORTED = ['openid', 'email', 'profile'] as const;

/** MSC4191 account management actions, as MAS lists them (stable, then unstable names). */
export const ACCOUNT_MANAGEMENT_ACTIONS = [
  'org.matrix.profile',
  'org.matrix.devices_list',
  'org.matrix.device_view',
  'org.matrix.device_delete',
  'org.matrix.cross_signing_reset',
  'org.matrix.sessions_list',
  'org.matrix.session_view',
  'org.matrix.session_end',
  'org.matrix.account_deactivate',
] as const;

export interface DiscoveryInput {
  readonly issuer: string;
  /** An absolute URL under the public base (UrlBuilder.absolute). */
  readonly absolute: (path: string) => string;
  readonly oauth: Pick<OauthConfig, 'device_code_grant_enabled'>;
  readonly account: Pick<AccountConfig, 'password_registration_enabled'>;
  /** What the keystore can sign with (`keystore.algorithms()`). */
  readonly signingAlgorithms: readonly string[];
}

export function discoveryDocument(input: DiscoveryInput): Record<string, unknown> {
  const url = input.absolute;
  const deviceEnabled = input.oauth.device_code_grant_enabled;
  const authMethods = [...CLIENT_AUTH_METHODS];
  const authAlgs = [...CLIENT_AUTH_SIGNING_ALGORITHMS];
  return {
    issuer: input.issuer,
    authorization_endpoint: url(OAUTH_PATHS.authorization),
    token_endpoint: url(OAUTH_PATHS.token),
    jwks_uri: url(OAUTH_PATHS.jwks),
    registration_endpoint: url(OAUTH_PATHS.registration),
    scopes_supported: [...SCOPES_SUPPORTED],
    response_types_supported: ['code'],
    response_modes_supported: ['form_post', 'query', 'fragment'],
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'client_credentials',
      ...(deviceEnabled ? ['urn:ietf:params:oauth:grant-type:device_code'] : []),
    ],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: authAlgs,
    revocation_endpoint: url(OAUTH_PATHS.revocation),
    revocation_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_signing_alg_values_supported: authAlgs,
    introspection_endpoint: url(OAUTH_PATHS.introspection),
    introspection_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_signing_alg_values_supported: authAlgs,
    code_challenge_methods_supported: [...CODE_CHALLENGE_METHODS],
    userinfo_endpoint: url(OAUTH_PATHS.userinfo),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...input.signingAlgorithms],
    userinfo_signing_alg_values_supported: [...input.signingAlgorithms],
    display_values_supported: ['page'],
    claim_types_supported: ['normal'],
    claims_supported: [
      'iss',
      'sub',
      'aud',
      'iat',
      'exp',
      'nonce',
      'auth_time',
      'at_hash',
      'c_hash',
      'email',
      'email_verified',
      'name',
      'preferred_username',
    ],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    prompt_values_supported: [
      'login',
      'none',
      'consent',
      ...(input.account.password_registration_enabled ? ['create'] : []),
    ],
    ...(deviceEnabled
      ? { device_authorization_endpoint: url(OAUTH_PATHS.deviceAuthorization) }
      : {}),
    end_session_endpoint: url(OAUTH_PATHS.endSession),
    account_management_uri: url(OAUTH_PATHS.accountManagement),
    account_management_actions_supported: [...ACCOUNT_MANAGEMENT_ACTIONS],
  };
}
