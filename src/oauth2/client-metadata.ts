// Client metadata of a dynamic registration request (RFC 7591 §2, OIDC Registration §2, MSC2966):
// the zod schema, the defaults, the consistency checks that do not depend on policy, and the wire
// form returned to the client. Policy (https, hosts, native schemes, public suffixes) lives in
// registration-policy.ts.
//
// Human-readable fields may come in several languages as `name#tag` keys (`client_name#fr`); all
// variants are kept. Unknown metadata is ignored, as RFC 7591 §2 asks.
//
// To accept one more metadata field: add it to `metadataSchema`, to `ClientMetadata`, and to
// `clientMetadataToJson`.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ApplicationType, ClientAuthMethod, GrantType } from '../model/oauth2-client.ts';
import { SIGNING_ALGORITHMS } from '../crypto/signing-key.ts';
import { OAuthError } from './errors.ts';

export const LOCALIZABLE_FIELDS = [
  'client_name',
  'client_uri',
  'logo_uri',
  'policy_uri',
  'tos_uri',
] as const;
export type LocalizableField = (typeof LOCALIZABLE_FIELDS)[number];

export const SUPPORTED_GRANT_TYPES: readonly GrantType[] = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
];

export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'none',
];

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
/** What clients may sign assertions with (MAS's list, plus EdDSA). */
export const CLIENT_AUTH_SIGNING_ALGORITHMS: readonly string[] = [
  ...HMAC_ALGORITHMS,
  ...SIGNING_ALGORITHMS,
];

/** Methods for which Gatehouse generates and stores a client secret. */
export const SECRET_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
];

export interface ClientMetadata {
  readonly redirect_uris: readonly string[];
  readonly response_types: readonly string[];
  readonly grant_types: readonly GrantType[];
  readonly application_type: ApplicationType;
  readonly token_endpoint_auth_method: ClientAuthMethod;
  readonly token_endpoint_auth_signing_alg?: string;
  readonly jwks?: { keys: Record<string, unknown>[] };
  readonly jwks_uri?: string;
  readonly id_token_signed_response_alg?: string;
  readonly userinfo_signed_response_alg?: string;
  readonly post_logout_redirect_uris: readonly string[];
  readonly contacts: readonly string[];
  readonly client_name?: string;
  readonly client_uri?: string;
  readonly logo_uri?: string;
  readonly policy_uri?: string;
  readonly tos_uri?: string;
  readonly initiate_login_uri?: string;
  /** Language variants: `localized.client_name.fr` is `client_name#fr`. */
  readonly localized: { readonly [F in LocalizableField]?: Readonly<Record<string, string>> };
}

/** A loose BCP 47 language tag (`fr`, `pt-BR`, `zh-Hant-TW`). */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function isAbsoluteUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

const absoluteUrl = z.string().refine(isAbsoluteUrl, 'must be an absolute URL');
const redirectUri = absoluteUrl.refine(
  (value) => !value.includes('#'),
  'must not contain a fragment',
);

const jwkSet = z
  .object({
    keys: z.array(
      z
        .looseObject({ kty: z.string() })
        .refine(
          (jwk) => PRIVATE_JWK_MEMBERS.every((member) => !(member in jwk)),
          'must not contain private key material',
        ),
    ),
  })
  .transform((set) => ({ keys: set.keys as Record<string, unknown>[] }));

const metadataSchema = z.object({
  redirect_uris: z.array(redirectUri).optional(),
  response_types: z.array(z.string()).optional(),
  grant_types: z.array(z.string()).optional(),
  application_type: z.enum(['web', 'native']).optional(),
  token_endpoint_auth_method: z.string().optional(),
  token_endpoint_auth_signing_alg: z.string().optional(),
  jwks: jwkSet.optional(),
  jwks_uri: absoluteUrl.optional(),
  id_token_signed_response_alg: z.string().optional(),
  userinfo_signed_response_alg: z.string().optional(),
  post_logout_redirect_uris: z.array(redirectUri).optional(),
  contacts: z.array(z.string()).optional(),
  client_name: z.string().min(1).optional(),
  client_uri: absoluteUrl.optional(),
  logo_uri: absoluteUrl.optional(),
  policy_uri: absoluteUrl.optional(),
  tos_uri: absoluteUrl.optional(),
  initiate_login_uri: absoluteUrl.optional(),
});

const metadataError = (description: string): OAuthError =>
  new OAuthError('invalid_client_metadata', description);
const redirectError = (description: string): OAuthError =>
  new OAuthError('invalid_redirect_uri', description);

/**
 * Validates a registration request body and applies the RFC 7591 defaults. Throws
 * `invalid_redirect_uri` for problems with `redirect_uris` and `invalid_client_metadata` for the rest.
 */
export function parseClientMetadata(body: unknown): ClientMetadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw metadataError('the request body must be a JSON object');
  }
  const { plain, localized } = splitLocalized(body as Record<string, unknown>);
  const parsed = metadataSchema.safeParse(plain);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`));
    const where = path.join('').replace(/^\./, '');
    const message = `${where}: ${issue.message}`;
    throw issue.path[0] === 'redirect_uris' ? redirectError(message) : metadataError(message);
  }
  const m = parsed.data;

  const grantTypes = m.grant_types ?? ['authorization_code'];
  for (const grant of grantTypes) {
    if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grant))
      throw metadataError(`grant_types: unsupported grant type ${grant}`);
  }
  const grants = [...new Set(grantTypes)] as GrantType[];
  const hasCode = grants.includes('authorization_code');

  const responseTypes = [...new Set(m.response_types ?? (hasCode ? ['code'] : []))];
  for (const type of responseTypes) {
    if (type !== 'code') throw metadataError(`response_types: unsupported response type ${type}`);
    if (!hasCode)
      throw metadataError('response_types: code needs the authorization_code grant type');
  }

  if (hasCode && (m.redirect_uris === undefined || m.redirect_uris.length === 0)) {
    throw redirectError('redirect_uris: required for the authorization_code grant type');
  }

  const method = (m.token_endpoint_auth_method ?? 'client_secret_basic') as ClientAuthMethod;
  if (!CLIENT_AUTH_METHODS.includes(method)) {
    throw metadataError(`token_endpoint_auth_method: unsupported method ${method}`);
  }
  if (m.jwks !== undefined && m.jwks_uri !== undefined) {
    throw metadataError('jwks and jwks_uri are mutually exclusive');
  }
  if (method === 'private_key_jwt' && m.jwks === undefined && m.jwks_uri === undefined) {
    throw metadataError('private_key_jwt needs jwks or jwks_uri');
  }
  checkAuthSigningAlg(method, m.token_endpoint_auth_signing_alg);
  for (const field of ['id_token_signed_response_alg', 'userinfo_signed_response_alg'] as const) {
    const alg = m[field];
    if (alg !== undefined && !(SIGNING_ALGORITHMS as readonly string[]).includes(alg))
      throw metadataError(`${field}: unsupported algorithm ${alg}`);
  }
  if (m.initiate_login_uri !== undefined && !m.initiate_login_uri.startsWith('https:')) {
    throw metadataError('initiate_login_uri: must be an https URL');
  }

  return {
    redirect_uris: m.redirect_uris ?? [],
    response_types: responseTypes,
    grant_types: grants,
    application_type: m.application_type ?? 'web',
    token_endpoint_auth_method: method,
    ...optional('token_endpoint_auth_signing_alg', m.token_endpoint_auth_signing_alg),
    ...optional('jwks', m.jwks),
    ...optional('jwks_uri', m.jwks_uri),
    ...optional('id_token_signed_response_alg', m.id_token_signed_response_alg),
    ...optional('userinfo_signed_response_alg', m.userinfo_signed_response_alg),
    post_logout_redirect_uris: m.post_logout_redirect_uris ?? [],
    contacts: m.contacts ?? [],
    ...optional('client_name', m.client_name),
    ...optional('client_uri', m.client_uri),
    ...optional('logo_uri', m.logo_uri),
    ...optional('policy_uri', m.policy_uri),
    ...optional('tos_uri', m.tos_uri),
    ...optional('initiate_login_uri', m.initiate_login_uri),
    localized,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function checkAuthSigningAlg(method: ClientAuthMethod, alg: string | undefined): void {
  if (alg === undefined) {
    if (method === 'client_secret_jwt' || method === 'private_key_jwt')
      throw metadataError(`token_endpoint_auth_signing_alg: required for ${method}`);
    return;
  }
  if (!CLIENT_AUTH_SIGNING_ALGORITHMS.includes(alg))
    throw metadataError(`token_endpoint_auth_signing_alg: unsupported algorithm ${alg}`);
  const hmac = (HMAC_ALGORITHMS as readonly string[]).includes(alg);
  if (method === 'client_secret_jwt' && !hmac)
    throw metadataError(
      'token_endpoint_auth_signing_alg: client_secret_jwt needs HS256, HS384 or HS512',
    );
  if (method === 'private_key_jwt' && hmac)
    throw metadataError(
      'token_endpoint_auth_signing_alg: private_key_jwt needs an asymmetric algorithm',
    );
}

/** Moves `field#tag` keys of the localizable fields out of the body, validating them. */
function splitLocalized(body: Record<string, unknown>): {
  plain: Record<string, unknown>;
  localized: { [F in LocalizableField]?: Record<string, string> };
} {
  const plain: Record<string, unknown> = {};
  const localized: { [F in LocalizableField]?: Record<string, string> } = {};
  for (const [key, value] of Object.entries(body)) {
    const hash = key.indexOf('#');
    if (hash === -1) {
      plain[key] = value;
      continue;
    }
    const field = key.slice(0, hash);
    const tag = key.slice(hash + 1);
    if (!(LOCALIZABLE_FIELDS as readonly string[]).includes(field)) continue;
    if (!LANGUAGE_TAG.test(tag)) throw metadataError(`${key}: invalid language tag`);
    if (typeof value !== 'string' || value === '') throw metadataError(`${key}: must be a string`);
    if (field !== 'client_name' && !isAbsoluteUrl(value))
      throw metadataError(`${key}: must be an absolute URL`);
    const variants = (localized[field as LocalizableField] ??= {});
    variants[tag] = value;
  }
  return { plain, localized };
}

/** The metadata as RFC 7591 returns it: flat, with `field#tag` keys for the language variants. */
export function clientMetadataToJson(metadata: ClientMetadata): Record<string, unknown> {
  const { localized, ...rest } = metadata;
  const json: Record<string, unknown> = { ...rest };
  for (const field of LOCALIZABLE_FIELDS) {
    for (const [tag, value] of Object.entries(localized[field] ?? {}))
      json[`${field}#${tag}`] = value;
  }
  return json;
}

/**
 * SHA-256 (hex) of the metadata in a canonical form (keys and lists sorted), so two registrations
 * of a public client with the same metadata get the same digest whatever their order.
 */
export function metadataDigest(metadata: ClientMetadata): string {
  return createHash('sha256')
    .update(canonicalJson(clientMetadataToJson(metadata)))
    .digest('hex');
}

const ORDERED_LISTS = new Set(['keys']);

function canonicalJson(value: unknown, key = ''): string {
  if (Array.isArray(value)) {
    const items = value.map((item) => canonicalJson(item));
    // Lists are sets, except the keys of a JWKS whose order may matter to the client.
    if (!ORDERED_LISTS.has(key)) items.sort();
    return `[${items.join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, k)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
