// A real listener serving the human, oauth and compat resources on a real AppContext (fresh SQLite
// storage, test clock, seeded randomness), with a fake homeserver on 127.0.0.1 that records the
// `/_synapse/mas/*` calls Gatehouse makes through its real homeserver connection. Plus small
// helpers for the Matrix login API.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { AppContext } from '../../../src/http/app-context.ts';
import { buildListenerApp } from '../../../src/http/listener-app.ts';
import { homeserverConnection } from '../../../src/matrix/connection-factory.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';
import { createMetrics } from '../../../src/telemetry/metrics.ts';
import { introspectAsHomeserver, startTestApp, type TestApp } from '../../helpers/app.ts';

export interface HomeserverCall {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown> | null;
}

/** A stand-in for Synapse's `/_synapse/mas/*` API that records every call. */
export class FakeHomeserver {
  readonly calls: HomeserverCall[] = [];
  /** When set, every call is answered with this status (a homeserver in trouble). */
  failWith: number | null = null;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<FakeHomeserver> {
    const server = createServer();
    const fake = new FakeHomeserver(server);
    server.on('request', (request, response) => {
      void fake.#answer(request).then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(status === 204 ? undefined : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/`;
  }

  /** The recorded calls to one operation (`upsert_device`, `delete_device`, ...). */
  callsTo(operation: string): HomeserverCall[] {
    return this.calls.filter((call) => call.path.startsWith(`/_synapse/mas/${operation}`));
  }

  async #answer(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    this.calls.push({
      method: request.method ?? '',
      path: request.url ?? '',
      authorization: request.headers.authorization,
      body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
    });
    if (this.failWith !== null) {
      return { status: this.failWith, body: { errcode: 'M_UNKNOWN', error: 'down' } };
    }
    if (request.url?.startsWith('/_synapse/mas/delete_device')) return { status: 204, body: null };
    if (request.url?.startsWith('/_synapse/mas/upsert_device')) return { status: 201, body: {} };
    return { status: 200, body: {} };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

export interface CompatApp {
  readonly app: FastifyInstance;
  readonly ctx: AppContext;
  readonly base: TestApp;
  readonly homeserver: FakeHomeserver;
  close(): Promise<void>;
}

/**
 * The app with `compat`, `human` and `oauth` mounted, its homeserver being a FakeHomeserver.
 * `ctxOverrides` replaces parts of the AppContext (a PasswordManager with one slot, say); as a
 * function it is given the shared test app first (for its clock, say).
 */
export async function startCompatApp(
  overrides: Record<string, unknown> = {},
  ctxOverrides: Partial<AppContext> | ((base: TestApp) => Partial<AppContext>) = {},
): Promise<CompatApp> {
  const homeserver = await FakeHomeserver.start();
  // The shared test app builds the AppContext; a second listener serves it with the connection.
  const base = await startTestApp(
    {
      matrix: { homeserver: 'example.test', secret: 'hs-secret', endpoint: homeserver.url },
      ...overrides,
    },
    { resources: ['health'] },
  );
  const config = base.ctx.config;
  const ctx: AppContext = {
    ...base.ctx,
    homeserver: homeserverConnection(config.matrix, {
      logSkippedWrite: () => {},
      timeoutMs: 2000,
    }),
    ...(typeof ctxOverrides === 'function' ? ctxOverrides(base) : ctxOverrides),
  };
  const logger = createLogger({ level: 'silent' });
  const metrics = await createMetrics(config.telemetry.metrics);
  const { app } = await buildListenerApp({
    listener: {
      ...config.http.listeners[0]!,
      resources: [{ name: 'human' }, { name: 'oauth' }, { name: 'compat' }],
    },
    name: 'web',
    trustedProxies: [],
    deps: {
      health: { ping: async () => {}, pendingMigrations: async () => [] },
      app: ctx,
      metrics,
      assetsDefaultPath: './share/assets/',
    },
    logger,
    clock: base.clock,
    rng: ctx.rng,
  });
  return {
    app,
    ctx,
    base,
    homeserver,
    close: async () => {
      await app.close();
      await metrics.shutdown();
      await base.close();
      await homeserver.close();
    },
  };
}

/** POST a JSON body (a string is sent as is). */
/** The `Authorization` header of a Matrix client holding `token`. */
export const bearer = (token: string): { authorization: string } => ({
  authorization: `Bearer ${token}`,
});

export function postJson(
  h: CompatApp,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export interface LoginAnswer {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server: string;
  expires_in_ms?: number;
  refresh_token?: string;
}

/** A successful password login (asserting its status). */
export async function passwordLogin(
  h: CompatApp,
  user: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<LoginAnswer> {
  const response = await postJson(h, '/_matrix/client/v3/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user },
    password,
    ...extra,
  });
  if (response.statusCode !== 200) {
    throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  }
  return response.json<LoginAnswer>();
}

/** Calls /oauth2/introspect as Synapse does: Bearer matrix secret, device id header. */
export async function introspectAsSynapse(
  h: CompatApp,
  token: string,
  deviceHeader = true,
): Promise<Record<string, unknown>> {
  return introspectAsHomeserver(h.app, token, deviceHeader);
}
