// openid-client helpers shared by the end-to-end suites: a Configuration for a static or a freshly
// registered client (http on loopback allowed), the authorization code flow with PKCE S256, state
// and nonce driven through the scripted browser, and the error assertions every suite uses.

import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { authorizeInBrowser, type Browser, type Decision } from './browser.ts';
import {
  APP_ORIGIN,
  REDIRECT_URI,
  STATIC_CLIENTS,
  STATIC_CLIENT_SECRET,
  type AuthMethod,
  type Gatehouse,
} from './harness.ts';

const insecure = { execute: [client.allowInsecureRequests] };

export function authFor(gh: Gatehouse, method: AuthMethod): client.ClientAuth {
  switch (method) {
    case 'none':
      return client.None();
    case 'client_secret_basic':
      return client.ClientSecretBasic(STATIC_CLIENT_SECRET);
    case 'client_secret_post':
      return client.ClientSecretPost(STATIC_CLIENT_SECRET);
    case 'client_secret_jwt':
      return client.ClientSecretJwt(STATIC_CLIENT_SECRET);
    case 'private_key_jwt':
      return client.PrivateKeyJwt({ key: gh.clientKey.privateKey, kid: gh.clientKey.kid });
  }
}

/** A Configuration (through discovery) for the static client of `method`. */
export function staticClient(gh: Gatehouse, method: AuthMethod): Promise<client.Configuration> {
  return client.discovery(
    gh.issuerUrl,
    STATIC_CLIENTS[method],
    method === 'none' ? {} : { client_secret: STATIC_CLIENT_SECRET },
    authFor(gh, method),
    insecure,
  );
}

/**
 * Registers a client (RFC 7591) with defaults for a web app (public, code flow) and returns its
 * Configuration, authenticating the way it registered (for the secret-based methods with the
 * secret the server issued).
 */
export async function registerClient(
  gh: Gatehouse,
  metadata: Partial<client.ClientMetadata>,
): Promise<client.Configuration> {
  const method = metadata.token_endpoint_auth_method ?? 'none';
  const registered = await client.dynamicClientRegistration(
    gh.issuerUrl,
    {
      client_name: 'E2E registered app',
      client_uri: `${APP_ORIGIN}/`,
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: method,
      ...metadata,
    },
    method === 'none' ? client.None() : undefined,
    insecure,
  );
  if (method !== 'client_secret_basic' && method !== 'client_secret_jwt') return registered;
  const issued = registered.clientMetadata();
  const secret = String(issued.client_secret);
  const config = new client.Configuration(
    registered.serverMetadata(),
    issued.client_id,
    issued,
    method === 'client_secret_basic'
      ? client.ClientSecretBasic(secret)
      : client.ClientSecretJwt(secret),
  );
  client.allowInsecureRequests(config);
  return config;
}

export interface CodeFlowResult {
  readonly tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
  readonly callback: URL | Request;
  readonly nonce: string;
  /** Which pages the browser answered (login, consent). */
  readonly steps: readonly string[];
}

/**
 * The authorization code flow as an RP does it: PKCE S256, state and nonce made by openid-client,
 * the browser signs in and consents, openid-client checks the response and redeems the code
 * (validating the id_token).
 */
export async function codeFlow(
  config: client.Configuration,
  browser: Browser,
  options: {
    user?: { username: string; password: string };
    scope?: string;
    params?: Record<string, string>;
    decision?: Decision;
  } = {},
): Promise<CodeFlowResult> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: options.scope ?? 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...options.params,
  });
  const { callback, steps } = await authorizeInBrowser(browser, url, REDIRECT_URI, {
    user: options.user,
    decision: options.decision,
  });
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  return { tokens, callback, nonce, steps };
}

export interface OAuthErrorResponse {
  readonly status: number;
  readonly error: string;
  readonly description: string | undefined;
  /** The WWW-Authenticate header, when the server sent one (401s). */
  readonly challenge: string | null;
}

/**
 * Asserts that `work` fails with an OAuth error response of code `error`. openid-client reports
 * one as a `ResponseBodyError`, or, when the server also sent `WWW-Authenticate` (a 401), as a
 * `WWWAuthenticateChallengeError` whose response body is read here.
 */
export async function rejectsWithOAuthError(
  work: Promise<unknown>,
  error: string | readonly string[],
  message?: string,
): Promise<OAuthErrorResponse> {
  const allowed = typeof error === 'string' ? [error] : error;
  let caught: unknown;
  try {
    await work;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, message ?? `expected an OAuth error ${allowed.join(' or ')}`);
  let response: OAuthErrorResponse;
  if (caught instanceof client.ResponseBodyError) {
    response = {
      status: caught.status,
      error: caught.error,
      description: caught.error_description,
      challenge: caught.response.headers.get('www-authenticate'),
    };
  } else if (caught instanceof client.WWWAuthenticateChallengeError) {
    const body = (await caught.response.json()) as { error?: string; error_description?: string };
    response = {
      status: caught.status,
      error: String(body.error),
      description: body.error_description,
      challenge: caught.response.headers.get('www-authenticate'),
    };
  } else {
    assert.fail(`expected an OAuth error response ${allowed.join(' or ')}, got ${String(caught)}`);
  }
  assert.ok(
    allowed.includes(response.error),
    `expected ${allowed.join(' or ')}, got ${response.error} (${response.description ?? ''})`,
  );
  return response;
}

/** Asserts that `work` fails with an authorization error sent to the redirect URI. */
export async function rejectsWithAuthorizationError(
  work: Promise<unknown>,
  error: string,
): Promise<client.AuthorizationResponseError> {
  let caught: unknown;
  try {
    await work;
  } catch (e) {
    caught = e;
  }
  assert.ok(
    caught instanceof client.AuthorizationResponseError,
    `expected an AuthorizationResponseError ${error}, got ${String(caught)}`,
  );
  assert.equal(caught.error, error, caught.error_description);
  return caught;
}

/** Introspects `token` as the static `client_secret_basic` client (public clients may not). */
export async function introspect(
  gh: Gatehouse,
  token: string,
): Promise<client.IntrospectionResponse> {
  return client.tokenIntrospection(await staticClient(gh, 'client_secret_basic'), token);
}
