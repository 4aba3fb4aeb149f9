// Shared by the authorization-code, consent, token, introspection, revocation and userinfo tests:
// a real listener app (discovery, human, oauth) on a fresh database, clients added through the
// repository, a browser (cookie jar) that signs in, and the steps of the code flow.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { asOAuth2ClientId, type OAuth2ClientId } from '../../../src/model/ids.ts';
import type {
  ClientAuthMethod,
  GrantType,
  OAuth2Client,
} from '../../../src/model/oauth2-client.ts';
import { encryptClientSecret } from '../../../src/oauth2/client-secret.ts';
import { newUlid } from '../../../src/rng.ts';
import type { OAuth2ClientFields } from '../../../src/storage/oauth2-client-repository.ts';
import {
  addUser,
  CookieJar,
  hiddenField,
  startTestApp,
  submitForm,
  type TestApp,
} from '../../helpers/app.ts';

export { addUser, CookieJar, hiddenField, submitForm, type TestApp };

export const REDIRECT_URI = 'https://app.example.com/callback';
export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXFjDmOAbEjYaq';
export const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
export const PASSWORD = 'correct horse battery';

export function startOAuthApp(
  overrides: Record<string, unknown> = {},
  dialect: 'sqlite' | 'postgres' = 'sqlite',
): Promise<TestApp> {
  return startTestApp(overrides, { dialect });
}

export interface ClientOptions {
  method?: ClientAuthMethod;
  grantTypes?: GrantType[];
  redirectUris?: string[];
  fields?: Partial<OAuth2ClientFields>;
}

export interface TestClient {
  id: OAuth2ClientId;
  secret: string | null;
  client: OAuth2Client;
}

const ALL_GRANTS: GrantType[] = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
];

/** A client with the given auth method (secret methods get `secret-<id>`). */
export async function addClient(h: TestApp, options: ClientOptions = {}): Promise<TestClient> {
  const method = options.method ?? 'client_secret_basic';
  const id = asOAuth2ClientId(newUlid(h.clock, h.ctx.rng));
  const secret =
    method === 'client_secret_basic' ||
    method === 'client_secret_post' ||
    method === 'client_secret_jwt'
      ? `secret-${id}-0123456789abcdef`
      : null;
  const fields: OAuth2ClientFields = {
    encryptedClientSecret:
      secret === null ? null : encryptClientSecret(h.ctx.encrypter, h.ctx.rng, id, secret),
    tokenEndpointAuthMethod: method,
    tokenEndpointAuthSigningAlg: null,
    grantTypes: options.grantTypes ?? ALL_GRANTS,
    redirectUris: options.redirectUris ?? [REDIRECT_URI],
    postLogoutRedirectUris: [],
    applicationType: 'web',
    clientName: 'Example App',
    clientNameLocalized: {},
    clientUri: 'https://app.example.com/',
    logoUri: 'https://app.example.com/logo.png',
    policyUri: 'https://app.example.com/privacy',
    tosUri: 'https://app.example.com/tos',
    contacts: [],
    jwks: null,
    jwksUri: null,
    idTokenSignedResponseAlg: null,
    userinfoSignedResponseAlg: null,
    initiateLoginUri: null,
    metadataDigest: null,
    ...options.fields,
  };
  const client = await h.db.storage.transaction((repos) =>
    repos.oauth2Clients.upsertStatic(h.clock, id, fields),
  );
  return { id, secret, client };
}

/** Headers and form fields that authenticate `client` with its method (basic, post or none). */
export function clientAuth(client: TestClient): {
  headers: Record<string, string>;
  form: Record<string, string>;
} {
  switch (client.client.tokenEndpointAuthMethod) {
    case 'client_secret_basic':
      return {
        headers: {
          authorization: `Basic ${Buffer.from(
            `${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret!)}`,
          ).toString('base64')}`,
        },
        form: {},
      };
    case 'client_secret_post':
      return { headers: {}, form: { client_id: client.id, client_secret: client.secret! } };
    default:
      return { headers: {}, form: { client_id: client.id } };
  }
}

/** POST a form to an oauth endpoint, authenticated as `client` (unless it is null). */
export async function postForm(
  h: TestApp,
  url: string,
  form: Record<string, string>,
  client: TestClient | null,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const auth = client === null ? { headers: {}, form: {} } : clientAuth(client);
  return h.app.inject({
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...auth.headers,
      ...headers,
    },
    payload: new URLSearchParams({ ...auth.form, ...form }).toString(),
  });
}

/** Signs `username` in through the login form. */
export async function signIn(h: TestApp, jar: CookieJar, username = 'alice'): Promise<void> {
  const response = await submitForm(h, jar, '/login', { username, password: PASSWORD });
  assert.equal(response.statusCode, 303, response.body);
}

export function authorizeUrl(client: TestClient, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.id,
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    state: 'st4te',
    nonce: 'n0nce',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  });
  for (const [key, value] of Object.entries(extra)) if (value === '') query.delete(key);
  return `/authorize?${query.toString()}`;
}

export async function get(
  h: TestApp,
  jar: CookieJar,
  url: string,
): Promise<LightMyRequestResponse> {
  const response = await h.app.inject({ method: 'GET', url, headers: jar.header() });
  jar.update(response);
  return response;
}

/** The `Location` header as a URL (relative ones resolved against the app). */
export function location(response: LightMyRequestResponse): URL {
  const value = response.headers.location;
  assert.equal(
    typeof value,
    'string',
    `no redirect (status ${response.statusCode}): ${response.body.slice(0, 300)}`,
  );
  return new URL(value as string, 'http://auth.example.test/');
}

/** The parameters of a redirect to the client (query, or fragment). */
export function callbackParams(response: LightMyRequestResponse): URLSearchParams {
  assert.equal(response.statusCode, 303, response.body.slice(0, 300));
  const url = location(response);
  assert.equal(`${url.origin}${url.pathname}`, REDIRECT_URI);
  return url.hash === '' ? url.searchParams : new URLSearchParams(url.hash.slice(1));
}

/**
 * The whole browser side of the code flow for a signed-in `jar`: /authorize, consent when asked
 * (allowed), and the code from the redirect. Returns the code and whether consent was shown.
 */
export async function authorize(
  h: TestApp,
  jar: CookieJar,
  client: TestClient,
  extra: Record<string, string> = {},
): Promise<{ code: string; consented: boolean }> {
  const first = await get(h, jar, authorizeUrl(client, extra));
  assert.equal(first.statusCode, 303, first.body.slice(0, 300));
  const to = location(first);
  if (to.origin === 'http://auth.example.test' && to.pathname.startsWith('/consent/')) {
    const response = await submitForm(h, jar, to.pathname, { action: 'allow' });
    const params = callbackParams(response);
    return { code: params.get('code')!, consented: true };
  }
  const params = callbackParams(first);
  return { code: params.get('code')!, consented: false };
}

export async function exchangeCode(
  h: TestApp,
  client: TestClient,
  code: string,
  extra: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const form: Record<string, string> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: VERIFIER,
    ...extra,
  };
  for (const [key, value] of Object.entries(extra)) if (value === '') delete form[key];
  return postForm(h, '/oauth2/token', form, client);
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope: string;
  expires_in: number;
  token_type: string;
}

/** A signed-in alice with tokens for `client` (code flow with consent). */
export async function tokensFor(
  h: TestApp,
  client: TestClient,
  extra: Record<string, string> = {},
): Promise<Tokens> {
  const jar = new CookieJar();
  await signIn(h, jar);
  const { code } = await authorize(h, jar, client, extra);
  const response = await exchangeCode(h, client, code);
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as Tokens;
}

export async function introspect(
  h: TestApp,
  caller: TestClient,
  token: string,
  extra: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const response = await postForm(h, '/oauth2/introspect', { token, ...extra }, caller);
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as Record<string, unknown>;
}

export async function newAlice(h: TestApp) {
  return addUser(h, 'alice', PASSWORD);
}
