// Builds a real listener application on a real AppContext (fresh SQLite or PostgreSQL storage,
// secrets with an RSA key generated here, templates, password manager), for `app.inject()`, serving
// the discovery, human, oauth and assets resources unless told otherwise. Also a tiny cookie jar
// and helpers to read and submit forms as a browser would.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { MockClock } from '../../src/clock.ts';
import { rootSchema, type RootConfig } from '../../src/config/root.ts';
import { httpIssuer } from '../../src/config/sections/http.ts';
import { loadPasswordManager } from '../../src/crypto/password-manager.ts';
import { loadSecrets } from '../../src/crypto/secrets-load.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { buildListenerApp } from '../../src/http/listener-app.ts';
import type { HomeserverConnection } from '../../src/matrix/homeserver-connection.ts';
import { UrlBuilder } from '../../src/http/url-builder.ts';
import { createRateLimiter } from '../../src/rate-limit/index.ts';
import { startPolicyData, type Every } from '../../src/services/policy-data-service.ts';
import { SeededRng } from '../../src/rng.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { createMetrics } from '../../src/telemetry/metrics.ts';
import { loadTemplates } from '../../src/templates/templates.ts';
import { LOOSE_ADDRESS_LIMITS } from './rate-limits.ts';
import { openTestStorage, type TestStorage } from './storage.ts';
import type { IntrospectionCache } from '../../src/services/introspection-cache.ts';

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  db: TestStorage;
  clock: MockClock;
  close(): Promise<void>;
}

const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

export interface TestAppOptions {
  /** Listener resources; default discovery, human, oauth and assets. */
  resources?: string[];
  /** Storage to use (and leave open on close); default a fresh SQLite database. */
  existing?: TestStorage;
  dialect?: 'sqlite' | 'postgres';
  /** How the sign-in slow-down waits (rate-limit tests record it instead of waiting). */
  rateLimiterSleep?: (ms: number) => Promise<void>;
  /** The homeserver connection (a fake homeserver in tests); none by default. */
  homeserver?: HomeserverConnection;
  /**
   * Runs the policy data service (src/services/policy-data-service.ts) as the server does, its
   * periodic reload scheduled by `every`; `ctx.policyData` is then set. None by default.
   */
  policyData?: { every: Every };
  /** An introspection cache shared by the app's resources, as `gatehouse server` has; none by default. */
  introspectionCache?: IntrospectionCache;
}

/**
 * `overrides` are config sections merged over a minimal config (http.public_base, secrets).
 * With `existing`, the app uses that database and leaves it open on close.
 */
export async function startTestApp(
  overrides: Record<string, unknown> = {},
  opts: TestAppOptions = {},
): Promise<TestApp> {
  const existing = opts.existing;
  const resources = (opts.resources ?? ['discovery', 'human', 'oauth', 'assets']).map((name) => ({
    name,
  }));
  const config: RootConfig = rootSchema.parse({
    http: {
      public_base: 'http://auth.example.test/',
      listeners: [
        {
          name: 'web',
          resources,
          binds: [{ address: '127.0.0.1:0' }],
        },
      ],
    },
    secrets: { encryption: '0123456789abcdef'.repeat(4), keys: [{ kid: 'rsa', key: rsaPem }] },
    matrix: { homeserver: 'example.test', secret: 'hs-secret' },
    branding: { service_name: 'Example Auth', policy_uri: 'https://example.test/privacy' },
    rate_limiting: LOOSE_ADDRESS_LIMITS,
    ...overrides,
  });
  const db = existing ?? (await openTestStorage(opts.dialect ?? 'sqlite'));
  const clock = new MockClock();
  const rng = new SeededRng('human-app');
  const logger = createLogger({ level: 'silent' });
  const { keystore, encrypter } = await loadSecrets(config.secrets);
  const connection = db.storage.connection;
  const policyData =
    opts.policyData === undefined
      ? null
      : await startPolicyData({
          storage: db.storage,
          pool: connection.dialect.supportsNotify ? connection.pool : null,
          policy: config.policy,
          logger,
          every: opts.policyData.every,
        });
  const ctx: AppContext = {
    config: policyData === null ? config : policyData.liveConfig(config),
    ...(policyData === null ? {} : { policyData }),
    storage: db.storage,
    clock,
    rng,
    keystore,
    encrypter,
    passwords: await loadPasswordManager(config.passwords, { rng }),
    rateLimiter: createRateLimiter({
      config: config.rate_limiting,
      pool: db.storage.connection.pool,
      ...(opts.rateLimiterSleep ? { sleep: opts.rateLimiterSleep } : {}),
    }),
    templates: loadTemplates({
      path: config.templates.path,
      translationsPath: config.templates.translations_path,
      branding: config.branding,
      logger,
    }),
    urls: new UrlBuilder(config.http.public_base, httpIssuer(config.http)),
    logger,
    ...(opts.homeserver === undefined ? {} : { homeserver: opts.homeserver }),
    ...(opts.introspectionCache === undefined
      ? {}
      : { introspectionCache: opts.introspectionCache }),
  };
  const metrics = await createMetrics(config.telemetry.metrics);
  const { app } = await buildListenerApp({
    listener: config.http.listeners[0]!,
    name: 'web',
    trustedProxies: [],
    deps: {
      health: { ping: async () => {}, pendingMigrations: async () => [] },
      app: ctx,
      metrics,
      assetsDefaultPath: './share/assets/',
    },
    logger,
    clock,
    rng,
  });
  return {
    app,
    ctx,
    db,
    clock,
    close: async () => {
      await app.close();
      await policyData?.stop();
      await metrics.shutdown();
      if (existing === undefined) await db.cleanup();
    },
  };
}

/** Registers `username` with `password` hashed by the app's own password manager. */
export async function addUser(h: TestApp, username: string, password: string | null) {
  const hashed = password === null ? null : await h.ctx.passwords.hash(password);
  return h.db.storage.transaction(async (repos) => {
    const user = await repos.users.add(h.ctx.rng, h.clock, username);
    if (user === null) throw new Error('taken');
    if (hashed !== null)
      await repos.userPasswords.add(h.ctx.rng, h.clock, user, hashed.version, hashed.hash);
    return user;
  });
}

/** Cookies the way a browser keeps them: name → value, updated from Set-Cookie. */
export class CookieJar {
  readonly values = new Map<string, string>();

  update(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies as Array<{
      name: string;
      value: string;
      maxAge?: number;
      expires?: Date;
    }>) {
      const expired =
        cookie.value === '' ||
        cookie.maxAge === 0 ||
        (cookie.expires !== undefined && cookie.expires.getTime() <= 0);
      if (expired) this.values.delete(cookie.name);
      else this.values.set(cookie.name, cookie.value);
    }
  }

  header(): Record<string, string> {
    return this.values.size === 0
      ? {}
      : { cookie: [...this.values].map(([k, v]) => `${k}=${v}`).join('; ') };
  }
}

/** The value of the hidden input `name` in `html`. */
export function hiddenField(html: string, name: string): string | null {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html);
  return match === null ? null : match[1]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
}

/** GET `url` then POST `form` to it (or `postUrl`) with the page's CSRF token, as a browser would. */
export async function submitForm(
  h: TestApp,
  jar: CookieJar,
  url: string,
  form: Record<string, string>,
  postUrl = url.split('?')[0]!,
): Promise<LightMyRequestResponse> {
  const page = await h.app.inject({ method: 'GET', url, headers: jar.header() });
  jar.update(page);
  const csrf = hiddenField(page.body, 'csrf');
  if (csrf === null) throw new Error(`no csrf field on ${url}: ${page.statusCode}`);
  const next = hiddenField(page.body, 'next');
  const response = await h.app.inject({
    method: 'POST',
    url: postUrl,
    headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ csrf, ...(next !== null ? { next } : {}), ...form }).toString(),
  });
  jar.update(response);
  return response;
}

/**
 * Asks `POST /oauth2/introspect` about `token` as the homeserver does: `Authorization: Bearer
 * hs-secret` (the `matrix.secret` of the test configs), form body, and `X-MAS-Supports-Device-Id:
 * 1` when `deviceHeader`. Asserts a 200 and returns the answer.
 */
export async function introspectAsHomeserver(
  app: FastifyInstance,
  token: string,
  deviceHeader = false,
): Promise<Record<string, unknown>> {
  const response = await app.inject({
    method: 'POST',
    url: '/oauth2/introspect',
    headers: {
      authorization: 'Bearer hs-secret',
      'content-type': 'application/x-www-form-urlencoded',
      ...(deviceHeader ? { 'x-mas-supports-device-id': '1' } : {}),
    },
    payload: new URLSearchParams({ token }).toString(),
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<Record<string, unknown>>();
}

/** Whether the homeserver's introspection of `token` says it is active. */
export async function activeForHomeserver(app: FastifyInstance, token: string): Promise<boolean> {
  return (await introspectAsHomeserver(app, token)).active === true;
}
