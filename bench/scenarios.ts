// The benchmark scenarios, one entry each in `SCENARIOS`: what is loaded, how each request is
// built, and whether the scenario can run against this build (the compat layer may be missing).
//
// To add a scenario: add an entry with a `name` (used by `--scenario`), a one-line `description`
// (also shown in docs/performance.md), `available` (null, or why not) and `run`, which loads the
// server for `duration` seconds with `connections` connections, at `overallRate` when given.

import { generateToken } from '../src/crypto/tokens.ts';
import { systemRng } from '../src/rng.ts';
import { authorizeInBrowser, Browser } from '../test/e2e/browser.ts';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  MATRIX_SCOPE,
  REDIRECT_URI,
  USER,
  type GatehouseUnderTest,
} from './gatehouse-process.ts';
import { runAutocannon, runFlowLoop, type AutocannonRequest, type LoadResult } from './load.ts';

export interface LoadShape {
  readonly connections: number;
  readonly duration: number;
  readonly overallRate?: number;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Null when the scenario can run, else why not (one line). */
  available(gh: GatehouseUnderTest): Promise<string | null>;
  run(gh: GatehouseUnderTest, shape: LoadShape): Promise<LoadResult>;
}

export const BASIC_AUTH = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
const always = async (): Promise<null> => null;

/** Share of introspected tokens that are invalid: half with a bad checksum, half unknown. */
export const INVALID_SHARE = 0.1;

/** The introspection token stream: valid tokens with a share of invalid ones mixed in. */
export function introspectionPool(
  valid: readonly string[],
  kind: 'accessToken' | 'compatAccessToken' = 'accessToken',
): string[] {
  const pool: string[] = [];
  const everyNth = Math.round(1 / INVALID_SHARE);
  valid.forEach((token, i) => {
    pool.push(token);
    if (i % everyNth === 0) {
      const unknown = generateToken(kind, systemRng);
      const badChecksum = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      pool.push(i % (everyNth * 2) === 0 ? unknown : badChecksum);
    }
  });
  return pool;
}

/** `POST /oauth2/introspect` as Synapse sends it, each request with the next token of `pool`. */
function introspectionRequest(gh: GatehouseUnderTest, pool: readonly string[]): AutocannonRequest {
  const next = cycle(pool);
  return {
    method: 'POST',
    path: '/oauth2/introspect',
    headers: {
      authorization: `Bearer ${gh.homeserverSecret}`,
      'x-mas-supports-device-id': '1',
      'content-type': FORM,
    },
    setupRequest: (request) => ({ ...request, body: `token=${next()}` }),
  };
}

/** Cycles through `items` across all connections. */
function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

/**
 * Refresh tokens used as a shared pool: each request takes one, each success puts the new one
 * back, so every request presents a fresh, unused token whatever connection sends it.
 */
function refreshChain(initial: readonly string[]) {
  const pool = [...initial];
  let last = initial[0] ?? '';
  return {
    take: () => {
      const token = pool.shift();
      if (token !== undefined) last = token;
      // An empty pool means responses were lost: reuse one (counted as an error by its status).
      return token ?? last;
    },
    give: (token: string | undefined) => {
      if (token !== undefined) pool.push(token);
    },
    /** Tokens waiting: a load's end drops the requests in flight, and their tokens with them. */
    get size() {
      return pool.length;
    },
  };
}

async function compatAvailable(gh: GatehouseUnderTest): Promise<string | null> {
  const response = await fetch(`${gh.base}/_matrix/client/v3/login`).catch(() => null);
  if (response === null) return 'not available: the server did not answer';
  await response.arrayBuffer();
  return response.status === 200
    ? null
    : `not available: GET /_matrix/client/v3/login answered ${response.status} (no compat layer in this build)`;
}

/** Legacy logins whose access tokens the compat-introspection scenario cycles through. */
const COMPAT_INTROSPECTION_TOKENS = 100;

/**
 * One compat password login, retried while the password hasher sheds load (it refuses with 429
 * while a previous load drains); its tokens.
 */
async function compatLogin(
  gh: GatehouseUnderTest,
  refresh: boolean,
): Promise<{ access_token?: string; refresh_token?: string }> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${gh.base}/_matrix/client/v3/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: compatLoginBody(refresh),
    });
    const body = (await response.json()) as { access_token?: string; refresh_token?: string };
    if (response.status !== 429 || attempt >= 50) return body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `count` compat password logins, one after another; their access tokens. */
async function compatLogins(gh: GatehouseUnderTest, count: number): Promise<string[]> {
  const tokens: string[] = [];
  while (tokens.length < count) {
    const { access_token: token } = await compatLogin(gh, false);
    if (token === undefined) throw new Error('compat login gave no access token');
    tokens.push(token);
  }
  return tokens;
}

const compatLoginBody = (refresh: boolean) =>
  JSON.stringify({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: USER.username },
    password: USER.password,
    ...(refresh ? { refresh_token: true } : {}),
  });

/** Fresh scenarios for one run (the refresh scenarios keep their token pools between loads). */
export function createScenarios(): Scenario[] {
  let oauthChain: ReturnType<typeof refreshChain> | null = null;
  let compatChain: ReturnType<typeof refreshChain> | null = null;
  let compatAccessTokens: string[] | null = null;
  return [
    {
      name: 'discovery',
      description: 'GET /.well-known/openid-configuration',
      available: always,
      run: (gh, shape) =>
        runAutocannon({
          url: gh.base,
          ...shape,
          requests: [{ method: 'GET', path: '/.well-known/openid-configuration' }],
        }),
    },
    {
      name: 'jwks',
      description: 'GET /oauth2/keys.json',
      available: always,
      run: (gh, shape) =>
        runAutocannon({
          url: gh.base,
          ...shape,
          requests: [{ method: 'GET', path: '/oauth2/keys.json' }],
        }),
    },
    {
      name: 'introspection',
      description:
        'POST /oauth2/introspect as Synapse sends it (Bearer matrix.secret, X-MAS-Supports-Device-Id: 1, ' +
        `form body) over the seeded tokens, ${INVALID_SHARE * 100} % of them invalid (bad checksum or unknown)`,
      available: always,
      run: (gh, shape) => {
        return runAutocannon({
          url: gh.base,
          ...shape,
          requests: [introspectionRequest(gh, introspectionPool(gh.seeds.accessTokens))],
        });
      },
    },
    {
      name: 'refresh',
      description:
        'POST /oauth2/token grant_type=refresh_token (client_secret_basic), each request with a fresh refresh token',
      available: always,
      run: (gh, shape) => {
        // Each load consumes tokens; the next one starts from those the previous handed back.
        oauthChain ??= refreshChain(gh.seeds.refreshTokens);
        const chain = oauthChain;
        return runAutocannon({
          url: gh.base,
          ...shape,
          requests: [
            {
              method: 'POST',
              path: '/oauth2/token',
              headers: { authorization: BASIC_AUTH, 'content-type': FORM },
              setupRequest: (request) => ({
                ...request,
                body: `grant_type=refresh_token&refresh_token=${chain.take()}`,
              }),
              onResponse: (status, body) => {
                if (status === 200)
                  chain.give((JSON.parse(body) as { refresh_token?: string }).refresh_token);
              },
            },
          ],
        });
      },
    },
    {
      name: 'client-credentials',
      description: 'POST /oauth2/token grant_type=client_credentials (client_secret_basic)',
      available: always,
      run: (gh, shape) =>
        runAutocannon({
          url: gh.base,
          ...shape,
          requests: [
            {
              method: 'POST',
              path: '/oauth2/token',
              headers: { authorization: BASIC_AUTH, 'content-type': FORM },
              body: 'grant_type=client_credentials',
            },
          ],
        }),
    },
    {
      name: 'authorization-code',
      description:
        'one whole flow per iteration, fresh browser: GET /authorize → sign in (argon2id) → consent (remembered after the first) → POST /oauth2/token',
      available: always,
      run: (gh, shape) =>
        runFlowLoop({
          concurrency: shape.connections,
          duration: shape.duration,
          ...(shape.overallRate === undefined ? {} : { overallRate: shape.overallRate }),
          flow: async () => {
            const url = new URL(`${gh.base}/authorize`);
            url.search = new URLSearchParams({
              response_type: 'code',
              client_id: CLIENT_ID,
              redirect_uri: REDIRECT_URI,
              scope: MATRIX_SCOPE,
              state: 'bench',
            }).toString();
            const { callback } = await authorizeInBrowser(new Browser(), url, REDIRECT_URI, {
              user: USER,
            });
            const code = (callback as URL).searchParams.get('code');
            if (code === null) throw new Error('no code');
            const response = await fetch(`${gh.base}/oauth2/token`, {
              method: 'POST',
              headers: { authorization: BASIC_AUTH, 'content-type': FORM },
              body: new URLSearchParams({
                grant_type: 'authorization_code',
                code,
                redirect_uri: REDIRECT_URI,
              }).toString(),
            });
            await response.arrayBuffer();
            if (response.status !== 200) throw new Error(`token endpoint ${response.status}`);
          },
        }),
    },
    {
      name: 'compat-login',
      description: 'POST /_matrix/client/v3/login m.login.password (argon2id verify per request)',
      available: compatAvailable,
      run: (gh, shape) =>
        runAutocannon({
          url: gh.base,
          ...shape,
          requests: [
            {
              method: 'POST',
              path: '/_matrix/client/v3/login',
              headers: { 'content-type': 'application/json' },
              body: compatLoginBody(false),
            },
          ],
        }),
    },
    {
      name: 'compat-refresh',
      description:
        'POST /_matrix/client/v3/refresh, each request with a fresh compat refresh token',
      available: compatAvailable,
      run: async (gh, shape) => {
        compatChain ??= refreshChain([]);
        const chain = compatChain;
        // Top the pool up with fresh logins (the end of each load loses the tokens in flight).
        while (chain.size < shape.connections * 2) {
          const { refresh_token: token } = await compatLogin(gh, true);
          if (token === undefined) throw new Error('compat login gave no refresh token');
          chain.give(token);
        }
        return runAutocannon({
          url: gh.base,
          ...shape,
          requests: [
            {
              method: 'POST',
              path: '/_matrix/client/v3/refresh',
              headers: { 'content-type': 'application/json' },
              setupRequest: (request) => ({
                ...request,
                body: JSON.stringify({ refresh_token: chain.take() }),
              }),
              onResponse: (status, body) => {
                if (status === 200)
                  chain.give((JSON.parse(body) as { refresh_token?: string }).refresh_token);
              },
            },
          ],
        });
      },
    },
    {
      name: 'compat-introspection',
      description:
        'POST /oauth2/introspect as Synapse sends it, over access tokens of legacy (compat) logins, ' +
        `${INVALID_SHARE * 100} % of them invalid`,
      available: compatAvailable,
      run: async (gh, shape) => {
        compatAccessTokens ??= await compatLogins(gh, COMPAT_INTROSPECTION_TOKENS);
        return runAutocannon({
          url: gh.base,
          ...shape,
          requests: [
            introspectionRequest(gh, introspectionPool(compatAccessTokens, 'compatAccessToken')),
          ],
        });
      },
    },
  ];
}
