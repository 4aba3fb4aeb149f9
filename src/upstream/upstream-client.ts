// Talking to upstream OAuth 2.0 / OpenID Connect providers with openid-client: learning their
// endpoints (`discovery_mode`), building the authorization URL (state, nonce, PKCE,
// `response_mode`, extra parameters, `login_hint`), exchanging the code with ID token validation
// (issuer, audience, signature through the provider's JWKS, nonce, expiry, the expected `alg`), and
// reading userinfo (plain or signed). One `UpstreamClients` per process holds the caches.
//
// Caches: the provider metadata (discovered or built from the endpoint overrides) is kept for
// METADATA_TTL_MS per provider and settings; a failed discovery is not cached, so the next sign-in
// tries again. The provider's JWKS is openid-client's cache, carried from one request to the next.
//
// Plain http: openid-client refuses http:// endpoints unless told otherwise. We allow them only
// when every configured URL of the provider is on a loopback host (a provider on the same machine,
// and the tests) or when the operator chose `discovery_mode: insecure`; any other http endpoint is
// a configuration error shown as such.
//
// Time: openid-client checks `iat`/`exp` against the wall clock. It is told the difference between
// our Clock and the wall clock (`clockSkew`), so every check uses the injected Clock like the rest
// of Gatehouse (and tests that travel in time see expired tokens expire).

import {
  Configuration,
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  clockSkew,
  discovery,
  enableNonRepudiationChecks,
  fetchUserInfo,
  getJwksCache,
  setJwksCache,
  skipSubjectCheck,
  type ClientMetadata,
  type ExportedJWKSCache,
  type ServerMetadata,
} from 'openid-client';
import { systemClock, type Clock } from '../clock.ts';
import type { Encrypter } from '../crypto/encrypter.ts';
import type { Keystore } from '../crypto/keystore.ts';
import {
  upstreamSecretContext,
  type UpstreamOAuthProvider,
  type UpstreamOAuthProviderId,
} from '../model/upstream-oauth.ts';
import { s256Challenge } from '../oauth2/pkce.ts';
import { randomString, type Rng } from '../rng.ts';
import { UpstreamClientConfigError, clientAuthFor } from './upstream-client-auth.ts';
import { UpstreamClientError, fromOpenidClient } from './upstream-client-error.ts';

export { UpstreamClientError } from './upstream-client-error.ts';
export type { UpstreamFailureKind } from './upstream-client-error.ts';

/** How long discovered metadata is used before it is fetched again. */
export const METADATA_TTL_MS = 60 * 60 * 1000;
/** Seconds one request to a provider may take. */
const REQUEST_TIMEOUT_SECONDS = 10;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PKCE_ALPHABET = `${ALPHANUMERIC}-._~`;

export interface UpstreamClientDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly keystore: Keystore;
  readonly encrypter: Encrypter;
}

/** What the provider needs to know about where it sends the browser back, and what to add. */
export interface AuthorizationRequestInput {
  /** `<public_base>/upstream/callback/<provider id>`. */
  readonly redirectUri: string;
  /** Rendered `additional_authorization_parameters`; empty values are dropped. */
  readonly extraParameters?: Readonly<Record<string, string>>;
  /** The downstream `login_hint`, forwarded when the provider has `forward_login_hint`. */
  readonly loginHint?: string | null;
}

/** The authorization URL and what the callback must check (stored in the authorization session). */
export interface AuthorizationStart {
  readonly url: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string | null;
}

export interface CallbackInput {
  readonly redirectUri: string;
  /** Every parameter the provider sent to the callback (query, or form body with form_post). */
  readonly parameters: URLSearchParams;
  readonly state: string;
  readonly nonce: string | null;
  readonly codeVerifier: string | null;
}

export interface CallbackResult {
  readonly accessToken: string;
  /** The raw ID token, when the provider sent one. */
  readonly idToken: string | null;
  readonly idTokenClaims: Record<string, unknown> | null;
  /** The userinfo claims, with `fetch_userinfo`. */
  readonly userinfo: Record<string, unknown> | null;
  /** What claim templates see as `user`: the ID token claims, overlaid with the userinfo claims. */
  readonly claims: Record<string, unknown>;
  /** Callback parameters other than the protocol's own (kept by the flow, as MAS does). */
  readonly extraCallbackParameters: Record<string, string>;
}

interface CachedMetadata {
  readonly fingerprint: string;
  readonly metadata: ServerMetadata;
  readonly fetchedAtMs: number;
  jwksCache: ExportedJWKSCache | undefined;
}

const PROTOCOL_CALLBACK_PARAMETERS = new Set(['code', 'state', 'iss', 'session_state']);

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function configuredUrls(provider: UpstreamOAuthProvider): string[] {
  return [
    provider.issuer,
    provider.authorizationEndpointOverride,
    provider.tokenEndpointOverride,
    provider.userinfoEndpointOverride,
    provider.jwksUriOverride,
  ].filter((value): value is string => value !== null);
}

/** Whether plain http is accepted for this provider (see the header). */
export function allowsPlainHttp(provider: UpstreamOAuthProvider): boolean {
  if (provider.discoveryMode === 'insecure') return true;
  return configuredUrls(provider).every((value) => {
    try {
      const url = new URL(value);
      return url.protocol !== 'http:' || isLoopbackHost(url.hostname);
    } catch {
      return false;
    }
  });
}

function scopeHasOpenid(provider: UpstreamOAuthProvider): boolean {
  return provider.scope.split(/\s+/).includes('openid');
}

/** Everything that changes what discovery returns or how it is checked. */
function fingerprintOf(provider: UpstreamOAuthProvider): string {
  return JSON.stringify([
    provider.issuer,
    provider.discoveryMode,
    provider.authorizationEndpointOverride,
    provider.tokenEndpointOverride,
    provider.userinfoEndpointOverride,
    provider.jwksUriOverride,
    provider.scope,
  ]);
}

function withTrailingSlash(value: string): string {
  return value.endsWith('/') ? value : `${value}/`;
}

function applyOverrides(provider: UpstreamOAuthProvider, metadata: ServerMetadata): ServerMetadata {
  const overrides: Record<string, string> = {};
  if (provider.authorizationEndpointOverride !== null)
    overrides.authorization_endpoint = provider.authorizationEndpointOverride;
  if (provider.tokenEndpointOverride !== null)
    overrides.token_endpoint = provider.tokenEndpointOverride;
  if (provider.userinfoEndpointOverride !== null)
    overrides.userinfo_endpoint = provider.userinfoEndpointOverride;
  if (provider.jwksUriOverride !== null) overrides.jwks_uri = provider.jwksUriOverride;
  return { ...metadata, ...overrides };
}

/** The checks `discovery_mode: oidc` adds to openid-client's own (issuer equality, https). */
function strictMetadataProblems(
  provider: UpstreamOAuthProvider,
  metadata: ServerMetadata,
): string[] {
  const problems: string[] = [];
  const types = metadata.response_types_supported;
  if (Array.isArray(types) && !types.includes('code'))
    problems.push('response_types_supported does not include `code`');
  const modes = metadata.response_modes_supported;
  if (
    provider.responseMode !== null &&
    Array.isArray(modes) &&
    !modes.includes(provider.responseMode)
  )
    problems.push(`response_modes_supported does not include \`${provider.responseMode}\``);
  const algs = metadata.id_token_signing_alg_values_supported;
  if (
    scopeHasOpenid(provider) &&
    Array.isArray(algs) &&
    !algs.includes(provider.idTokenSignedResponseAlg)
  )
    problems.push(
      `id_token_signing_alg_values_supported does not include ${provider.idTokenSignedResponseAlg}`,
    );
  return problems;
}

function requiredEndpointProblems(
  provider: UpstreamOAuthProvider,
  metadata: ServerMetadata,
): string[] {
  const problems: string[] = [];
  if (typeof metadata.authorization_endpoint !== 'string')
    problems.push('no authorization endpoint');
  if (typeof metadata.token_endpoint !== 'string') problems.push('no token endpoint');
  if (scopeHasOpenid(provider) && typeof metadata.jwks_uri !== 'string')
    problems.push('no jwks_uri to verify ID tokens with');
  if (provider.fetchUserinfo && typeof metadata.userinfo_endpoint !== 'string')
    problems.push('fetch_userinfo is on but there is no userinfo endpoint');
  return problems;
}

export class UpstreamClients {
  readonly #deps: UpstreamClientDeps;
  readonly #cache = new Map<UpstreamOAuthProviderId, CachedMetadata>();
  readonly #inFlight = new Map<UpstreamOAuthProviderId, Promise<CachedMetadata>>();

  constructor(deps: UpstreamClientDeps) {
    this.#deps = deps;
  }

  /** Forgets what is cached about a provider (its settings changed, or it was removed). */
  forget(providerId: UpstreamOAuthProviderId): void {
    this.#cache.delete(providerId);
  }

  /** The provider's metadata after discovery (per `discovery_mode`) and the endpoint overrides. */
  async metadata(provider: UpstreamOAuthProvider): Promise<ServerMetadata> {
    return (await this.#cached(provider)).metadata;
  }

  async #cached(provider: UpstreamOAuthProvider): Promise<CachedMetadata> {
    const fingerprint = fingerprintOf(provider);
    const nowMs = this.#deps.clock.now().getTime();
    const cached = this.#cache.get(provider.id);
    if (
      cached !== undefined &&
      cached.fingerprint === fingerprint &&
      nowMs - cached.fetchedAtMs < METADATA_TTL_MS &&
      nowMs >= cached.fetchedAtMs
    ) {
      return cached;
    }
    const pending = this.#inFlight.get(provider.id);
    if (pending !== undefined) return pending;
    const loading = this.#load(provider, fingerprint, nowMs, cached).finally(() =>
      this.#inFlight.delete(provider.id),
    );
    this.#inFlight.set(provider.id, loading);
    return loading;
  }

  async #load(
    provider: UpstreamOAuthProvider,
    fingerprint: string,
    nowMs: number,
    previous: CachedMetadata | undefined,
  ): Promise<CachedMetadata> {
    if (!allowsPlainHttp(provider)) {
      throw new UpstreamClientError(
        'configuration',
        `provider ${provider.id}: http:// URLs are accepted only on loopback hosts or with discovery_mode: insecure`,
      );
    }
    let metadata = applyOverrides(provider, await this.#discover(provider));
    const problems = requiredEndpointProblems(provider, metadata);
    if (provider.discoveryMode === 'oidc')
      problems.push(...strictMetadataProblems(provider, metadata));
    if (problems.length > 0) {
      throw new UpstreamClientError(
        provider.discoveryMode === 'disabled' ? 'configuration' : 'discovery',
        `provider ${provider.id}: ${problems.join('; ')}`,
      );
    }
    metadata = Object.freeze(metadata);
    const entry: CachedMetadata = {
      fingerprint,
      metadata,
      fetchedAtMs: nowMs,
      // The keys stay useful across a metadata refresh when the key set is the same.
      jwksCache:
        previous !== undefined && previous.metadata.jwks_uri === metadata.jwks_uri
          ? previous.jwksCache
          : undefined,
    };
    this.#cache.set(provider.id, entry);
    return entry;
  }

  async #discover(provider: UpstreamOAuthProvider): Promise<ServerMetadata> {
    if (provider.discoveryMode === 'disabled') {
      // Without an issuer there is nothing an ID token could be checked against; a placeholder
      // that no provider sends makes any ID token fail the issuer check instead of passing it.
      return { issuer: provider.issuer ?? `urn:gatehouse:upstream:${provider.id}` };
    }
    const issuer = provider.issuer;
    if (issuer === null) {
      throw new UpstreamClientError('configuration', `provider ${provider.id}: no issuer`);
    }
    // `oidc`: openid-client's discovery, which requires the document's issuer to equal ours.
    // `insecure`: the document is read from its URL directly, which skips that comparison.
    const target =
      provider.discoveryMode === 'insecure'
        ? new URL('.well-known/openid-configuration', withTrailingSlash(issuer))
        : new URL(issuer);
    try {
      const config = await discovery(target, provider.clientId, undefined, undefined, {
        execute: allowsPlainHttp(provider) ? [allowInsecureRequests] : [],
        timeout: REQUEST_TIMEOUT_SECONDS,
      });
      return { ...config.serverMetadata() };
    } catch (error) {
      throw fromOpenidClient(error, 'discovery');
    }
  }

  #secret(provider: UpstreamOAuthProvider): string | null {
    if (provider.encryptedClientSecret === null) return null;
    return this.#deps.encrypter.decryptString(
      provider.encryptedClientSecret,
      upstreamSecretContext(provider.id, 'client_secret'),
    );
  }

  #configuration(provider: UpstreamOAuthProvider, entry: CachedMetadata): Configuration {
    const metadata = entry.metadata;
    const apple = provider.signInWithApple;
    const auth = clientAuthFor(
      this.#deps,
      {
        method: provider.tokenEndpointAuthMethod,
        clientId: provider.clientId,
        clientSecret: this.#secret(provider),
        signingAlg: provider.tokenEndpointSigningAlg,
        apple:
          apple === null
            ? null
            : {
                teamId: apple.teamId,
                keyId: apple.keyId,
                privateKey: this.#deps.encrypter.decryptString(
                  apple.encryptedPrivateKey,
                  upstreamSecretContext(provider.id, 'apple_private_key'),
                ),
              },
      },
      metadata.token_endpoint ?? '',
    );
    // See the header: openid-client's validations then use our Clock.
    const skewSeconds = Math.round(
      (this.#deps.clock.now().getTime() - systemClock.now().getTime()) / 1000,
    );
    const clientMetadata: Partial<ClientMetadata> = {
      id_token_signed_response_alg: provider.idTokenSignedResponseAlg,
      [clockSkew]: skewSeconds,
    };
    if (provider.userinfoSignedResponseAlg !== null) {
      clientMetadata.userinfo_signed_response_alg = provider.userinfoSignedResponseAlg;
    }
    const config = new Configuration(metadata, provider.clientId, clientMetadata, auth);
    config.timeout = REQUEST_TIMEOUT_SECONDS;
    if (allowsPlainHttp(provider)) allowInsecureRequests(config);
    // Verify the signatures of ID tokens and signed userinfo with the provider's keys (openid-client
    // skips that for answers straight from the token endpoint unless asked).
    enableNonRepudiationChecks(config);
    if (entry.jwksCache !== undefined) setJwksCache(config, entry.jwksCache);
    return config;
  }

  #keepJwks(entry: CachedMetadata, config: Configuration): void {
    const jwks = getJwksCache(config);
    if (jwks !== undefined) entry.jwksCache = jwks;
  }

  /** Whether this provider gets PKCE (`pkce_method`; `auto`: the metadata advertises S256). */
  async usesPkce(provider: UpstreamOAuthProvider): Promise<boolean> {
    if (provider.pkceMethod === 'always') return true;
    if (provider.pkceMethod === 'never') return false;
    const methods = (await this.metadata(provider)).code_challenge_methods_supported;
    return Array.isArray(methods) && methods.includes('S256');
  }

  /** The URL to send the browser to, and the values the callback checks. */
  async startAuthorization(
    provider: UpstreamOAuthProvider,
    input: AuthorizationRequestInput,
  ): Promise<AuthorizationStart> {
    try {
      const entry = await this.#cached(provider);
      const config = this.#configuration(provider, entry);
      const rng = this.#deps.rng;
      const state = randomString(rng, ALPHANUMERIC, 32);
      const nonce = randomString(rng, ALPHANUMERIC, 32);
      const codeVerifier = (await this.usesPkce(provider))
        ? randomString(rng, PKCE_ALPHABET, 64)
        : null;
      const parameters: Record<string, string> = {};
      for (const [name, value] of Object.entries(input.extraParameters ?? {})) {
        if (value !== '') parameters[name] = value;
      }
      if (
        provider.forwardLoginHint &&
        input.loginHint !== undefined &&
        input.loginHint !== null &&
        input.loginHint !== '' &&
        parameters.login_hint === undefined
      ) {
        parameters.login_hint = input.loginHint;
      }
      // The protocol's own parameters last: an extra parameter cannot replace them.
      Object.assign(parameters, {
        response_type: 'code',
        redirect_uri: input.redirectUri,
        scope: provider.scope,
        state,
        nonce,
      });
      if (provider.responseMode !== null) parameters.response_mode = provider.responseMode;
      if (codeVerifier !== null) {
        parameters.code_challenge = s256Challenge(codeVerifier);
        parameters.code_challenge_method = 'S256';
      }
      const url = buildAuthorizationUrl(config, parameters).href;
      return { url, state, nonce, codeVerifier };
    } catch (error) {
      throw fromOpenidClient(error, 'discovery');
    }
  }

  /**
   * Checks the provider's answer at the callback, exchanges the code and validates the ID token
   * (and reads userinfo with `fetch_userinfo`). Throws UpstreamClientError.
   */
  async completeAuthorization(
    provider: UpstreamOAuthProvider,
    input: CallbackInput,
  ): Promise<CallbackResult> {
    const entry = await this.#cached(provider).catch((error: unknown) => {
      throw fromOpenidClient(error, 'discovery');
    });
    let config: Configuration;
    try {
      config = this.#configuration(provider, entry);
    } catch (error) {
      throw fromOpenidClient(error, 'token');
    }
    const current = new URL(input.redirectUri);
    for (const [name, value] of input.parameters) current.searchParams.append(name, value);
    const openid = scopeHasOpenid(provider);

    let tokens;
    try {
      tokens = await authorizationCodeGrant(config, current, {
        expectedState: input.state,
        ...(openid && input.nonce !== null ? { expectedNonce: input.nonce } : {}),
        ...(input.codeVerifier !== null ? { pkceCodeVerifier: input.codeVerifier } : {}),
        idTokenExpected: openid,
      });
    } catch (error) {
      throw fromOpenidClient(error, 'token');
    } finally {
      this.#keepJwks(entry, config);
    }
    const idTokenClaims = tokens.claims() ?? null;
    const idToken = tokens.id_token ?? null;

    let userinfo: Record<string, unknown> | null = null;
    if (provider.fetchUserinfo) {
      try {
        const subject =
          idTokenClaims !== null && typeof idTokenClaims.sub === 'string'
            ? idTokenClaims.sub
            : skipSubjectCheck;
        userinfo = { ...(await fetchUserInfo(config, tokens.access_token, subject)) };
      } catch (error) {
        throw fromOpenidClient(error, 'userinfo');
      } finally {
        this.#keepJwks(entry, config);
      }
    }

    const extraCallbackParameters: Record<string, string> = {};
    for (const [name, value] of input.parameters) {
      if (!PROTOCOL_CALLBACK_PARAMETERS.has(name)) extraCallbackParameters[name] = value;
    }
    return {
      accessToken: tokens.access_token,
      idToken,
      idTokenClaims: idTokenClaims === null ? null : { ...idTokenClaims },
      userinfo,
      claims: { ...(idTokenClaims ?? {}), ...(userinfo ?? {}) },
      extraCallbackParameters,
    };
  }
}

export { UpstreamClientConfigError };
