// The client side of the Synapse suite: matrix-js-sdk 43 as the modern (OAuth 2.0) client, raw
// `fetch` for the checks a client library would hide (status codes, Matrix error codes), and the
// scripted browser of test/e2e/browser.ts for the sign-in pages.

import { DatabaseSync } from 'node:sqlite';
import { randomBytes } from 'node:crypto';
import {
  createClient,
  OAuth2,
  type BearerTokenResponse,
  type ICreateClientOpts,
  type MatrixClient,
  type ValidatedAuthMetadata,
} from 'matrix-js-sdk';
import type { Logger } from 'matrix-js-sdk/lib/logger.js';
import { authorizeInBrowser, Browser } from '../e2e/browser.ts';
import type { SynapseStack } from './stack.ts';

/** The js-sdk logs every request at debug level; only its warnings help when a test fails. */
export const quietLogger: Logger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (...args: unknown[]) => console.warn('[matrix-js-sdk]', ...args),
  error: (...args: unknown[]) => console.error('[matrix-js-sdk]', ...args),
  getChild: () => quietLogger,
};

/** `createClient` with the quiet logger. */
export function matrixClient(options: Omit<ICreateClientOpts, 'logger'>): MatrixClient {
  return createClient({ ...options, logger: quietLogger });
}

/** A native client's redirect URI (RFC 8252 loopback; any port is accepted at authorization). */
export const REDIRECT_URI = 'http://127.0.0.1/callback';
export const CLIENT_URI = 'https://client.synapse-e2e.example/';

export const API_SCOPE = 'urn:matrix:client:api:*';
export const ADMIN_SCOPE = 'urn:synapse:admin:*';
export const deviceScope = (deviceId: string): string => `urn:matrix:client:device:${deviceId}`;

export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  // Tests read whatever fields they check.
  readonly body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function json(response: Response): Promise<JsonAnswer> {
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { raw: text };
  }
  return { status: response.status, headers: response.headers, body };
}

/** A request to the homeserver through the proxy, with an access token when given. */
export async function matrixRequest(
  stack: SynapseStack,
  path: string,
  token?: string | null,
  init: { method?: string; body?: unknown } = {},
): Promise<JsonAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return json(
    await fetch(`${stack.baseUrl}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
  );
}

export function whoami(stack: SynapseStack, token: string): Promise<JsonAnswer> {
  return matrixRequest(stack, '/_matrix/client/v3/account/whoami', token);
}

/** What Gatehouse tells Synapse about a token (introspection with the shared secret). */
export async function introspectAsSynapse(stack: SynapseStack, token: string): Promise<JsonAnswer> {
  return json(
    await fetch(`${stack.gatehouseUrl}oauth2/introspect`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stack.secret}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'x-mas-supports-device-id': '1',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    }),
  );
}

/** A raw POST to Gatehouse's token endpoint (for the error answers the js-sdk turns into throws). */
export async function tokenRequest(
  stack: SynapseStack,
  params: Record<string, string>,
): Promise<JsonAnswer> {
  return json(
    await fetch(`${stack.gatehouseUrl}oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
    }),
  );
}

/** Polls until `check` returns a value other than undefined; throws with the last state after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      last = 'the condition did not hold';
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `${what}: not reached within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : String(last)})`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface RegisteredClient {
  readonly metadata: ValidatedAuthMetadata;
  readonly clientId: string;
}

/** Discovery through the homeserver and dynamic registration, as Element does. */
export async function registerClient(
  stack: SynapseStack,
  name = 'Synapse e2e',
): Promise<RegisteredClient> {
  const metadata = await matrixClient({ baseUrl: stack.baseUrl }).getAuthMetadata();
  const clientId = await OAuth2.registerClient(
    metadata,
    {
      client_name: name,
      client_uri: CLIENT_URI,
      application_type: 'native',
      redirect_uris: [REDIRECT_URI],
    },
    quietLogger,
  );
  return { metadata, clientId };
}

export interface OAuthLogin {
  readonly oauth: OAuth2;
  readonly tokens: BearerTokenResponse;
  readonly deviceId: string;
  readonly redirectUri: string;
  /** The scope that was requested. */
  readonly scope: string;
}

/** The code the browser brought back to the redirect URI, and the state that came with it. */
export async function authorize(
  oauth: OAuth2,
  browser: Browser,
  user: { username: string; password: string },
  options: { responseMode?: 'fragment' | 'query'; scope?: string; redirectUri?: string } = {},
): Promise<{ code: string; redirectUri: string }> {
  const state = randomBytes(8).toString('hex');
  const redirectUri = options.redirectUri ?? REDIRECT_URI;
  const url = await oauth.generateAuthorizationCodeGrantUrl(
    state,
    redirectUri,
    options.responseMode ?? 'fragment',
    undefined,
    options.scope,
  );
  const { callback } = await authorizeInBrowser(browser, url, redirectUri, { user });
  if (!(callback instanceof URL)) throw new Error('expected a redirect back to the client');
  const params = callback.searchParams;
  if (params.get('error') !== null) {
    throw new Error(
      `authorization failed: ${params.get('error')} ${params.get('error_description') ?? ''}`,
    );
  }
  if (params.get('state') !== state) throw new Error(`state mismatch: ${callback.href}`);
  const code = params.get('code');
  if (code === null) throw new Error(`no code in ${callback.href}`);
  return { code, redirectUri };
}

/** Authorization code + PKCE with a scripted sign-in, then the code exchange. */
export async function oauthLogin(
  client: RegisteredClient,
  user: { username: string; password: string },
  options: {
    browser?: Browser;
    responseMode?: 'fragment' | 'query';
    extraScopes?: string[];
    redirectUri?: string;
  } = {},
): Promise<OAuthLogin> {
  const oauth = new OAuth2(client.metadata, { clientId: client.clientId }, quietLogger);
  const { deviceId } = oauth.context;
  const scope = [API_SCOPE, deviceScope(deviceId), ...(options.extraScopes ?? [])].join(' ');
  const { code, redirectUri } = await authorize(oauth, options.browser ?? new Browser(), user, {
    responseMode: options.responseMode,
    scope,
    redirectUri: options.redirectUri,
  });
  const tokens = await oauth.completeAuthorizationCodeGrant(code, redirectUri);
  return { oauth, tokens, deviceId, redirectUri, scope };
}

/** Runs `fn` with the global fetch recording `METHOD /path STATUS` of every call it makes. */
export async function recordFetches(fn: () => Promise<unknown>): Promise<string[]> {
  const calls: string[] = [];
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const response = await original(input, init);
    calls.push(`${init?.method ?? 'GET'} ${new URL(url).pathname} ${response.status}`);
    return response;
  };
  try {
    await fn();
  } finally {
    globalThis.fetch = original;
  }
  return calls;
}

/** A js-sdk client for an OAuth session, with automatic refresh, recording the calls it makes. */
export function oauthMatrixClient(
  stack: SynapseStack,
  login: {
    clientId: string;
    accessToken: string;
    refreshToken: string;
    deviceId: string;
    userId: string;
  },
  onTokenRefresh: (tokens: { accessToken: string; refreshToken?: string }) => void = () => {},
): { client: MatrixClient; calls: string[] } {
  const calls: string[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const response = await fetch(input, init);
    calls.push(`${init?.method ?? 'GET'} ${new URL(url).pathname} ${response.status}`);
    return response;
  };
  const client = matrixClient({
    baseUrl: stack.baseUrl,
    accessToken: login.accessToken,
    refreshToken: login.refreshToken,
    oauthClientId: login.clientId,
    deviceId: login.deviceId,
    userId: login.userId,
    onTokenRefresh,
    fetchFn: recordingFetch,
  });
  return { client, calls };
}

/** Gatehouse's not-finished OAuth 2.0 sessions of a user, read straight from its SQLite database. */
export function openOAuthSessions(stack: SynapseStack, username: string): number {
  const db = new DatabaseSync(stack.databaseFile, { readOnly: true });
  try {
    const row = db
      .prepare(
        `SELECT count(*) AS n FROM oauth2_sessions s JOIN users u ON u.id = s.user_id
         WHERE u.username = ? AND s.finished_at IS NULL`,
      )
      .get(username) as { n: number };
    return Number(row.n);
  } finally {
    db.close();
  }
}
