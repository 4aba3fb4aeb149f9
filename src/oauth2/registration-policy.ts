// MAS's client registration policy (policies/client_registration), written out in TypeScript, plus
// its public-suffix check. Three switches from `policy.data.client_registration` relax it:
// `allow_insecure_uris` (http and localhost URIs), `allow_host_mismatch` (URIs on other hosts than
// `client_uri`) and `allow_missing_client_uri`.
//
// Rules:
// - `client_uri` is required (unless allow_missing_client_uri);
// - `client_uri`, `tos_uri`, `policy_uri`, `logo_uri` are https on the default port and not a
//   loopback host (unless allow_insecure_uris);
// - `tos_uri`, `policy_uri`, `logo_uri` are on the `client_uri` host or a subdomain of it (unless
//   allow_host_mismatch, or client_uri is missing and allowed to be);
// - `client_credentials` needs a confidential client;
// - `redirect_uris` are required for `authorization_code`;
// - each redirect URI is either, for a native app, `http://localhost|127.0.0.1|[::1]...` or a
//   private-use scheme that is the reverse DNS of the `client_uri` host (`com.example.app:/cb` for
//   `https://example.com`), or one that passes the secure and same-host rules above;
// - no URI's host may be a public suffix (always checked).
//
// Every variant of a localized URI (`logo_uri#fr`) is checked like the default one.

import { parse as parseDomain } from 'tldts';
import type { ClientMetadata } from './client-metadata.ts';
import { OAuthError } from './errors.ts';

export interface ClientRegistrationPolicy {
  readonly allowInsecureUris: boolean;
  readonly allowHostMismatch: boolean;
  readonly allowMissingClientUri: boolean;
}

export interface PolicyViolation {
  /** The metadata field at fault. */
  readonly field: string;
  readonly message: string;
}

/** The switches from `policy.data` (anything but `true` is off, as in the Rego policy). */
export function registrationPolicyFrom(
  data: Readonly<Record<string, unknown>>,
): ClientRegistrationPolicy {
  const section = data.client_registration;
  const flags =
    typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {};
  return {
    allowInsecureUris: flags.allow_insecure_uris === true,
    allowHostMismatch: flags.allow_host_mismatch === true,
    allowMissingClientUri: flags.allow_missing_client_uri === true,
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0']);
const NATIVE_LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** https, default port, not a loopback address. */
function isSecureUrl(value: string, policy: ClientRegistrationPolicy): boolean {
  if (policy.allowInsecureUris) return true;
  const url = parseUrl(value);
  return (
    url !== null && url.protocol === 'https:' && url.port === '' && !LOOPBACK.has(url.hostname)
  );
}

/** `sub` is `host` or a subdomain of it, label by label. */
function isSameOrSubdomain(host: string, sub: string): boolean {
  return sub === host || sub.endsWith(`.${host}`);
}

function hostMatchesClientUri(
  value: string,
  metadata: ClientMetadata,
  policy: ClientRegistrationPolicy,
): boolean {
  if (policy.allowHostMismatch) return true;
  if (metadata.client_uri === undefined) return policy.allowMissingClientUri;
  const clientHost = parseUrl(metadata.client_uri)?.hostname;
  const host = parseUrl(value)?.hostname;
  return (
    clientHost !== undefined &&
    clientHost !== '' &&
    host !== undefined &&
    isSameOrSubdomain(clientHost, host)
  );
}

/** `com.example.app` is the reverse DNS of `example.com` (or of a subdomain's parent). */
function isReverseDnsOf(scheme: string, host: string): boolean {
  const hostLabels = host.split('.').reverse();
  const schemeLabels = scheme.split('.');
  return hostLabels.every((label, i) => schemeLabels[i] === label);
}

function isValidNativeRedirect(value: string, metadata: ClientMetadata): boolean {
  const url = parseUrl(value);
  if (url === null) return false;
  if (url.protocol === 'http:') return NATIVE_LOOPBACK.has(url.hostname);
  if (url.protocol === 'https:') return false;
  // A private-use scheme, without an authority (`com.example.app:/callback`).
  if (url.host !== '' || value.slice(url.protocol.length).startsWith('//')) return false;
  const clientHost =
    metadata.client_uri === undefined ? undefined : parseUrl(metadata.client_uri)?.hostname;
  if (clientHost === undefined || clientHost === '') return false;
  return isReverseDnsOf(url.protocol.slice(0, -1), clientHost);
}

/** True when the host of `value` is itself a public suffix (`com`, `co.uk`, `github.io`). */
export function isPublicSuffixUrl(value: string): boolean {
  const url = parseUrl(value);
  if (url === null || url.hostname === '') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const parsed = parseDomain(host, { allowPrivateDomains: true });
  if (parsed.isIp === true) return false;
  const known = parsed.isIcann === true || parsed.isPrivate === true;
  return known && parsed.publicSuffix === host.toLowerCase();
}

/** Every variant (default and localized) of a URI field. */
function variants(
  metadata: ClientMetadata,
  field: 'client_uri' | 'tos_uri' | 'policy_uri' | 'logo_uri',
): [string, string][] {
  const out: [string, string][] = [];
  const value = metadata[field];
  if (value !== undefined) out.push([field, value]);
  for (const [tag, localized] of Object.entries(metadata.localized[field] ?? {}))
    out.push([`${field}#${tag}`, localized]);
  return out;
}

/** Every rule the metadata breaks; empty when it may be registered. */
export function checkClientRegistration(
  metadata: ClientMetadata,
  policy: ClientRegistrationPolicy,
): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  const violate = (field: string, message: string) => violations.push({ field, message });

  if (metadata.client_uri === undefined && !policy.allowMissingClientUri)
    violate('client_uri', 'missing client_uri');

  for (const field of ['client_uri', 'tos_uri', 'policy_uri', 'logo_uri'] as const) {
    for (const [key, value] of variants(metadata, field)) {
      if (!isSecureUrl(value, policy)) violate(key, `invalid ${key}: it must be an https URL`);
      if (field !== 'client_uri' && !hostMatchesClientUri(value, metadata, policy))
        violate(key, `${key} not on the same host as the client_uri`);
    }
  }

  if (
    metadata.grant_types.includes('client_credentials') &&
    metadata.token_endpoint_auth_method === 'none'
  ) {
    violate(
      'grant_types',
      'client_credentials grant_type requires some form of client authentication',
    );
  }

  if (metadata.grant_types.includes('authorization_code') && metadata.redirect_uris.length === 0)
    violate('redirect_uris', 'missing redirect_uris');

  for (const uri of metadata.redirect_uris) {
    const native = metadata.application_type === 'native' && isValidNativeRedirect(uri, metadata);
    const web = isSecureUrl(uri, policy) && hostMatchesClientUri(uri, metadata, policy);
    if (!native && !web) violate('redirect_uris', `invalid redirect_uri ${uri}`);
  }

  const checkedForSuffix: [string, string | undefined][] = [
    ...(['client_uri', 'logo_uri', 'policy_uri', 'tos_uri'] as const).flatMap((field) =>
      variants(metadata, field),
    ),
    ['initiate_login_uri', metadata.initiate_login_uri],
    ...metadata.redirect_uris.map((uri): [string, string] => ['redirect_uris', uri]),
  ];
  for (const [field, value] of checkedForSuffix) {
    if (value !== undefined && isPublicSuffixUrl(value))
      violate(
        field,
        `${field === 'redirect_uris' ? `redirect_uri ${value}` : field} is on a public suffix`,
      );
  }
  return violations;
}

/**
 * Throws the RFC 7591 error for the violations: `invalid_redirect_uri` when the first one is about
 * redirect URIs, else `invalid_client_metadata`; the description lists them all.
 */
export function enforceClientRegistration(
  metadata: ClientMetadata,
  policy: ClientRegistrationPolicy,
): void {
  const violations = checkClientRegistration(metadata, policy);
  if (violations.length === 0) return;
  const code =
    violations[0]!.field === 'redirect_uris' ? 'invalid_redirect_uri' : 'invalid_client_metadata';
  throw new OAuthError(code, violations.map((v) => v.message).join('; '));
}
