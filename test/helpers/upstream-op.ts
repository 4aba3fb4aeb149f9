// A real upstream OpenID provider for tests: node-oidc-provider on a loopback port, with a
// scripted login instead of pages. Its interaction route signs in whichever account the test
// chose (`loginAs`) and grants every requested scope and claim, so a plain HTTP client with a
// cookie jar completes the flow without a browser. Per test: the clients (any token endpoint
// auth method, response modes, signed userinfo, back-channel logout), the accounts' claims,
// whether PKCE is required, whether profile claims go into the ID token, and a few faults to
// inject (a wrong key set, a tampered nonce, a refused login). Logout tokens can be made without
// sending them (`logoutToken`), for apps served through `app.inject()`.
//
// Also `startGatehouseOp`: a second Gatehouse, listening on a loopback port, as the upstream.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { addClient, type TestClient } from '../http/oauth2/oauth2-app.ts';
import { addUser, hiddenField, startTestApp, type TestApp } from './app.ts';

export interface OpClient {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: string;
  redirect_uris: string[];
  token_endpoint_auth_signing_alg?: string;
  /** The client's public keys, for private_key_jwt. */
  jwks?: { keys: unknown[] };
  id_token_signed_response_alg?: string;
  userinfo_signed_response_alg?: string;
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  response_modes?: string[];
}

export interface UpstreamOpOptions {
  clients: OpClient[];
  /** Account id (the `sub`) → its claims. Default: `alice` with every claim. */
  accounts?: Record<string, Record<string, unknown>>;
  /** Whether PKCE is required of every client (default: only of public clients). */
  pkceRequired?: boolean;
  /**
   * oidc-provider's `conformIdTokenClaims`: true keeps profile claims out of the ID token (they
   * then come only from userinfo). Default false: they are in the ID token too.
   */
  conformIdTokenClaims?: boolean;
}

export const DEFAULT_ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: {
    preferred_username: 'alice',
    name: 'Alice Liddell',
    email: 'alice@upstream.test',
    email_verified: true,
    groups: ['staff', 'matrix-users'],
  },
};

interface Interaction {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
}

interface GrantInstance {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}

interface IdTokenInstance {
  mask: Record<string, unknown>;
  set(name: string, value: unknown): void;
  issue(options: { use: string }): Promise<string>;
}

/** The part of oidc-provider's API used here (the package ships no types). */
interface OpClientInstance {
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

interface OpProvider {
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
  interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<Interaction>;
  interactionFinished(
    request: IncomingMessage,
    response: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: new (fields: { accountId: string; clientId: string }) => GrantInstance;
  Client: { find(id: string): Promise<OpClientInstance | undefined> };
  IdToken: new (
    claims: Record<string, unknown>,
    options: { client: unknown; ctx: undefined },
  ) => IdTokenInstance;
}

/** Cookies of one site, as a browser keeps them (paths ignored: names do not collide here). */
export class FetchCookieJar {
  readonly values = new Map<string, string>();

  update(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired =
        value === '' ||
        attributes.some((attribute) => {
          const [key, raw] = attribute.split('=').map((part) => part.trim());
          if (key!.toLowerCase() === 'max-age') return Number(raw) <= 0;
          if (key!.toLowerCase() === 'expires') return new Date(raw!).getTime() < 1e12;
          return false;
        });
      if (expired) this.values.delete(name);
      else this.values.set(name, value);
    }
  }

  header(): Record<string, string> {
    return this.values.size === 0
      ? {}
      : { cookie: [...this.values].map(([k, v]) => `${k}=${v}`).join('; ') };
  }
}

/** Where the provider sent the browser back: the callback URL and its parameters. */
export interface OpReturn {
  readonly method: 'GET' | 'POST';
  /** The redirect URI (without parameters). */
  readonly url: string;
  readonly parameters: URLSearchParams;
}

/** The hidden inputs and action of a form_post page. */
export function parseFormPost(html: string): { action: string; parameters: URLSearchParams } {
  const unescape = (value: string) =>
    value
      .replace(/&#x27;|&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const action = /<form[^>]*action="([^"]*)"/.exec(html);
  if (action === null) throw new Error('no form on the page');
  const parameters = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\/?>/g)) {
    parameters.append(unescape(match[1]!), unescape(match[2]!));
  }
  return { action: unescape(action[1]!), parameters };
}

/** What a test browser needs of an upstream identity provider. */
export interface UpstreamIdp {
  readonly issuer: string;
  /** Follows an authorization URL through the provider's login to the redirect back. */
  authorize(url: string): Promise<OpReturn>;
  close(): Promise<void>;
}

export interface UpstreamOp extends UpstreamIdp {
  readonly issuer: string;
  readonly jar: FetchCookieJar;
  /** The authorization parameters of the last login the provider saw. */
  readonly lastAuthorization: Record<string, unknown> | null;
  /** Every request path the provider served, in order (`POST /token`, ...). */
  readonly requests: string[];
  /** The account the next login signs in (default the first account). */
  loginAs(accountId: string): void;
  /** The next login is refused with this OAuth error instead. */
  refuseNext(error: string, description?: string): void;
  /** Serve an unrelated key set at the JWKS URI (signatures then fail to verify). */
  serveWrongKeys(on: boolean): void;
  /** Replace the `nonce` of authorization requests (the ID token then carries the wrong one). */
  tamperNonce(on: boolean): void;
  /** Follows an authorization URL through the scripted login to the redirect back to the client. */
  authorize(url: string): Promise<OpReturn>;
  /** A logout token for `clientId`, as the provider's back-channel logout would send it. */
  logoutToken(clientId: string, sub: string, sid?: string): Promise<string>;
  /** The provider's own back-channel logout: POSTs a logout token to the client's URI. */
  sendLogout(clientId: string, sub: string, sid: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * oidc-provider's storage contract kept in a Map, one per provider (its own in-memory adapter
 * prints a warning on first use). Expiry is not enforced: a test's provider lives for seconds.
 */
function memoryAdapter() {
  const store = new Map<string, Record<string, unknown>>();
  return class MemoryAdapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    #key(id: string): string {
      return `${this.#model}:${id}`;
    }

    async upsert(id: string, payload: Record<string, unknown>): Promise<void> {
      store.set(this.#key(id), payload);
    }

    async find(id: string): Promise<Record<string, unknown> | undefined> {
      return store.get(this.#key(id));
    }

    async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
      return [...store.values()].find((p) => p.userCode === userCode);
    }

    async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      return [...store.values()].find((p) => p.uid === uid);
    }

    async consume(id: string): Promise<void> {
      const payload = store.get(this.#key(id));
      if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      store.delete(this.#key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, payload] of store) {
        if (payload.grantId === grantId) store.delete(key);
      }
    }
  };
}

function privateJwk(kind: 'rsa' | 'ec', kid: string): Record<string, unknown> {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, use: 'sig' };
}

function publicOnly(jwk: Record<string, unknown>): Record<string, unknown> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}

export async function startUpstreamOp(options: UpstreamOpOptions): Promise<UpstreamOp> {
  const accounts = options.accounts ?? DEFAULT_ACCOUNTS;
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let nextAccount = Object.keys(accounts)[0]!;
  let refusal: { error: string; description: string } | null = null;
  let wrongKeys = false;
  let nonceTampering = false;
  let lastAuthorization: Record<string, unknown> | null = null;
  const requests: string[] = [];
  const wrongJwks = {
    keys: [publicOnly(privateJwk('rsa', 'rsa-key')), publicOnly(privateJwk('ec', 'ec-key'))],
  };

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(),
    ttl: { IdToken: 3600, AccessToken: 3600, Interaction: 3600, Session: 3600, Grant: 3600 },
    clients: options.clients,
    findAccount: async (_ctx: unknown, id: string) =>
      accounts[id] === undefined
        ? undefined
        : { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    conformIdTokenClaims: options.conformIdTokenClaims ?? false,
    jwks: { keys: [privateJwk('rsa', 'rsa-key'), privateJwk('ec', 'ec-key')] },
    cookies: { keys: [randomUUID()] },
    pkce: {
      required: (_ctx: unknown, client: { clientAuthMethod: string }) =>
        options.pkceRequired ?? client.clientAuthMethod === 'none',
    },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      jwtUserinfo: { enabled: true },
      userinfo: { enabled: true },
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    extraParams: ['extra_param', 'acr_hint'],
    // The provider refuses to call loopback addresses (SSRF protection); its clients here are all
    // on loopback, so its outgoing requests (back-channel logout) go without that guard.
    fetch: (url: string, options: RequestInit & { dispatcher?: unknown }) => {
      const { dispatcher: _dispatcher, ...rest } = options;
      return globalThis.fetch(url, rest);
    },
    renderError: async (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'text/plain';
      ctx.body = `${out.error}: ${out.error_description ?? ''}`;
    },
  }) as unknown as OpProvider;

  const handleInteraction = async (request: IncomingMessage, response: ServerResponse) => {
    const details = await provider.interactionDetails(request, response);
    lastAuthorization = { ...details.params };
    if (details.prompt.name === 'login') {
      if (refusal !== null) {
        const { error, description } = refusal;
        refusal = null;
        return provider.interactionFinished(request, response, {
          error,
          error_description: description,
        });
      }
      return provider.interactionFinished(
        request,
        response,
        { login: { accountId: nextAccount } },
        { mergeWithLastSubmission: false },
      );
    }
    const accountId = details.session?.accountId ?? nextAccount;
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const missing = details.prompt.details.missingOIDCClaims;
    if (Array.isArray(missing)) grant.addOIDCClaims(missing as string[]);
    const grantId = await grant.save();
    return provider.interactionFinished(
      request,
      response,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  };

  const callback = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', issuer);
    requests.push(`${request.method} ${url.pathname}`);
    if (url.pathname.startsWith('/interaction/')) {
      handleInteraction(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
      return;
    }
    if (wrongKeys && url.pathname === '/jwks') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(wrongJwks));
      return;
    }
    if (nonceTampering && url.pathname === '/auth' && url.searchParams.has('nonce')) {
      url.searchParams.set('nonce', 'tampered-nonce');
      request.url = `${url.pathname}${url.search}`;
    }
    callback(request, response);
  });

  const jar = new FetchCookieJar();
  const redirectUris = options.clients.flatMap((client) => client.redirect_uris);
  const isRedirectUri = (location: string) =>
    redirectUris.some((uri) => location === uri || location.startsWith(`${uri}?`));

  return {
    issuer,
    jar,
    get lastAuthorization() {
      return lastAuthorization;
    },
    requests,
    loginAs(accountId) {
      nextAccount = accountId;
    },
    refuseNext(error, description = 'The user refused.') {
      refusal = { error, description };
    },
    serveWrongKeys(on) {
      wrongKeys = on;
    },
    tamperNonce(on) {
      nonceTampering = on;
    },
    async authorize(start) {
      let url = start;
      for (let hop = 0; hop < 15; hop++) {
        const response = await fetch(url, { redirect: 'manual', headers: jar.header() });
        jar.update(response);
        const location = response.headers.get('location');
        if (location !== null) {
          const target = new URL(location, url).href;
          if (isRedirectUri(target)) {
            const parsed = new URL(target);
            const parameters = new URLSearchParams(parsed.search);
            parsed.search = '';
            return { method: 'GET', url: parsed.href, parameters };
          }
          url = target;
          continue;
        }
        const body = await response.text();
        if (body.includes('<form') && body.includes('Submitting Callback')) {
          const form = parseFormPost(body);
          return { method: 'POST', url: form.action, parameters: form.parameters };
        }
        throw new Error(
          `the provider answered ${response.status} at ${url}: ${body.slice(0, 300)}`,
        );
      }
      throw new Error('too many redirects at the provider');
    },
    async logoutToken(clientId, sub, sid) {
      // What oidc-provider's own Client#backchannelLogout builds, without sending it.
      const client = await provider.Client.find(clientId);
      if (client === undefined) throw new Error(`no client ${clientId}`);
      const token = new provider.IdToken({ sub }, { client, ctx: undefined });
      token.mask = { sub: null };
      token.set('events', { 'http://schemas.openid.net/event/backchannel-logout': {} });
      token.set('jti', randomUUID());
      if (sid !== undefined) token.set('sid', sid);
      return token.issue({ use: 'logout' });
    },
    async sendLogout(clientId, sub, sid) {
      const client = await provider.Client.find(clientId);
      if (client === undefined) throw new Error(`no client ${clientId}`);
      await client.backchannelLogout(sub, sid);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A free TCP port on 127.0.0.1 (closed again; the caller binds it next). */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface ServedApp {
  readonly app: TestApp;
  /** `http://127.0.0.1:PORT/`: its public base and issuer. */
  readonly base: string;
  close(): Promise<void>;
}

/**
 * A test app (see ./app.ts) with its public base on a free loopback port, served there by a
 * node server of ours (the test app is built for inject(); the server hands it requests as the
 * binds do). Its clock is set to the wall time, which other parties sign with.
 */
export async function serveTestApp(
  overrides: Record<string, unknown> = {},
  resources: string[] = ['discovery', 'human', 'oauth', 'assets'],
  port?: number,
): Promise<ServedApp> {
  port ??= await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const app = await startTestApp({
    ...overrides,
    http: {
      public_base: base,
      listeners: [
        {
          name: 'web',
          resources: resources.map((name) => ({ name })),
          binds: [{ address: `127.0.0.1:${port}` }],
        },
      ],
    },
  });
  app.clock.set(new Date(performance.timeOrigin + performance.now()));
  const server = createServer((request, response) => app.app.routing(request, response));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    app,
    base,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

export interface GatehouseOp extends UpstreamIdp {
  readonly app: TestApp;
  /** The OAuth 2.0 client the downstream Gatehouse uses (client_secret_basic). */
  readonly client: TestClient;
}

/**
 * A second Gatehouse as the upstream provider (see `serveTestApp`), with `username`/`password`
 * as a user and one client whose redirect URI is `redirectUri`. Its login and consent pages are
 * filled in like a person would.
 */
export async function startGatehouseOp(options: {
  redirectUri: string;
  username: string;
  password: string;
}): Promise<GatehouseOp> {
  const served = await serveTestApp({}, ['discovery', 'human', 'oauth']);
  const { app, base } = served;
  await addUser(app, options.username, options.password);
  const client = await addClient(app, {
    redirectUris: [options.redirectUri],
    fields: { clientName: 'Downstream Gatehouse' },
  });
  const jar = new FetchCookieJar();

  const postForm = async (url: string, form: Record<string, string>) => {
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    jar.update(response);
    return response;
  };

  return {
    issuer: base,
    app,
    client,
    async authorize(start) {
      let response = await fetch(start, { redirect: 'manual', headers: jar.header() });
      jar.update(response);
      let url = start;
      for (let hop = 0; hop < 15; hop++) {
        const location = response.headers.get('location');
        if (location !== null) {
          const target = new URL(location, url).href;
          if (target.startsWith(options.redirectUri)) {
            const parsed = new URL(target);
            const parameters = new URLSearchParams(parsed.search);
            parsed.search = '';
            return { method: 'GET', url: parsed.href, parameters };
          }
          url = target;
          response = await fetch(url, { redirect: 'manual', headers: jar.header() });
          jar.update(response);
          continue;
        }
        const body = await response.text();
        const csrf = hiddenField(body, 'csrf');
        const action = /<form[^>]*method="post"[^>]*action="([^"]*)"/.exec(body)?.[1];
        if (csrf === null || action === undefined) {
          throw new Error(`unexpected page at ${url}: ${response.status} ${body.slice(0, 300)}`);
        }
        const target = new URL(action.replace(/&amp;/g, '&'), url).href;
        const next = hiddenField(body, 'next');
        const form: Record<string, string> = body.includes('name="password"')
          ? { csrf, username: options.username, password: options.password }
          : { csrf, action: 'allow' };
        if (next !== null) form.next = next;
        url = target;
        response = await postForm(target, form);
      }
      throw new Error('too many steps at the upstream Gatehouse');
    },
    close: () => served.close(),
  };
}
