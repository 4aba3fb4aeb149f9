// Shared by the upstream sign-in tests: a Gatehouse test app (app.inject) and a real
// oidc-provider (test/helpers/upstream-op.ts) registered as its upstream provider, and a
// browser that walks between them: Gatehouse pages through `app.inject()` with a cookie jar, the
// provider over HTTP with its own jar, and `form_post` as a browser does it (a cross-site POST
// without our cookies, then the same-site re-post).

import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import {
  asUpstreamOAuthProviderId,
  type UpstreamOAuthProvider,
  type UpstreamOAuthProviderId,
} from '../../../src/model/upstream-oauth.ts';
import type { UpstreamOAuthProviderFields } from '../../../src/storage/upstream-oauth-repository.ts';
import { CookieJar, hiddenField, startTestApp, type TestApp } from '../../helpers/app.ts';
import {
  parseFormPost,
  startUpstreamOp,
  type OpClient,
  type UpstreamIdp,
  type UpstreamOp,
  type UpstreamOpOptions,
} from '../../helpers/upstream-op.ts';
import {
  encryptedClientSecret,
  providerFields as baseProviderFields,
  SUGGESTED_CLAIMS,
} from '../../upstream/provider-fixtures.ts';

export { CookieJar, hiddenField, type TestApp, type UpstreamOp };

export const PROVIDER_ID = '01JZ0000000000000000000001';
export const GATEHOUSE = 'http://auth.example.test';
export const CALLBACK = `${GATEHOUSE}/upstream/callback/${PROVIDER_ID}`;
export const BACKCHANNEL = `${GATEHOUSE}/upstream/backchannel-logout/${PROVIDER_ID}`;
export const SECRET = 'upstream-client-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface UpstreamTest {
  h: TestApp;
  op: UpstreamOp;
  provider: UpstreamOAuthProvider;
  close(): Promise<void>;
}

export type ProviderOverrides = Partial<UpstreamOAuthProviderFields> & {
  clientSecret?: string | null;
  enabled?: boolean;
};

/** The provider's stored fields for `op`, with claims imports that suit most tests. */
export function providerFields(
  h: TestApp,
  op: Pick<UpstreamIdp, 'issuer'>,
  id: UpstreamOAuthProviderId,
  overrides: ProviderOverrides = {},
): UpstreamOAuthProviderFields {
  const { clientSecret = SECRET, enabled: _enabled, ...rest } = overrides;
  return baseProviderFields({
    issuer: op.issuer,
    brandName: 'github',
    encryptedClientSecret: encryptedClientSecret(h.ctx.encrypter, h.ctx.rng, id, clientSecret),
    tokenEndpointAuthMethod: 'client_secret_basic',
    scope: 'openid profile email groups',
    claimsImports: { ...SUGGESTED_CLAIMS, accountName: { template: '{{ user.email }}' } },
    ...rest,
  });
}

export async function saveProvider(
  h: TestApp,
  op: Pick<UpstreamIdp, 'issuer'>,
  overrides: ProviderOverrides = {},
  id: string = PROVIDER_ID,
): Promise<UpstreamOAuthProvider> {
  const providerId = asUpstreamOAuthProviderId(id);
  return h.db.storage.transaction((repos) =>
    repos.upstreamOAuthProviders.upsert(
      h.clock,
      providerId,
      providerFields(h, op, providerId, overrides),
      overrides.enabled ?? true,
    ),
  );
}

export function opClient(overrides: Partial<OpClient> = {}): OpClient {
  return {
    client_id: 'gatehouse',
    client_secret: SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [CALLBACK],
    response_modes: ['query', 'form_post'],
    backchannel_logout_uri: BACKCHANNEL,
    backchannel_logout_session_required: true,
    ...overrides,
  };
}

/** A Gatehouse app with the clock at the wall time (the provider signs with the wall time). */
export async function startUpstreamTest(
  options: {
    config?: Record<string, unknown>;
    op?: Partial<UpstreamOpOptions>;
    provider?: ProviderOverrides;
    dialect?: 'sqlite' | 'postgres';
  } = {},
): Promise<UpstreamTest> {
  const op = await startUpstreamOp({ clients: [opClient()], ...options.op });
  const h = await startTestApp(options.config ?? {}, { dialect: options.dialect ?? 'sqlite' });
  h.clock.set(new Date(performance.timeOrigin + performance.now()));
  const provider = await saveProvider(h, op, options.provider);
  return {
    h,
    op,
    provider,
    close: async () => {
      await h.close();
      await op.close();
    },
  };
}

/** Runs `work` on a fresh upstream test (startUpstreamTest), closed afterwards. */
export async function withUpstream(
  options: Parameters<typeof startUpstreamTest>[0],
  work: (t: UpstreamTest) => Promise<void>,
): Promise<void> {
  const t = await startUpstreamTest(options);
  try {
    await work(t);
  } finally {
    await t.close();
  }
}

function gatehousePath(url: string): string | null {
  if (url.startsWith('/')) return url;
  const parsed = new URL(url);
  return parsed.origin === GATEHOUSE ? `${parsed.pathname}${parsed.search}` : null;
}

/** A browser: Gatehouse's cookies in `jar`, the provider's in the provider's own jar. */
export class Browser {
  readonly jar = new CookieJar();
  readonly h: TestApp;
  readonly op: UpstreamIdp;
  /** Every Gatehouse path requested, in order. */
  readonly visited: string[] = [];

  constructor(h: TestApp, op: UpstreamIdp) {
    this.h = h;
    this.op = op;
  }

  async get(path: string): Promise<LightMyRequestResponse> {
    this.visited.push(`GET ${path}`);
    const response = await this.h.app.inject({
      method: 'GET',
      url: path,
      headers: this.jar.header(),
    });
    this.jar.update(response);
    return response;
  }

  async post(
    path: string,
    form: URLSearchParams | Record<string, string>,
    withCookies = true,
  ): Promise<LightMyRequestResponse> {
    this.visited.push(`POST ${path}`);
    const response = await this.h.app.inject({
      method: 'POST',
      url: path,
      headers: {
        ...(withCookies ? this.jar.header() : {}),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams(form).toString(),
    });
    this.jar.update(response);
    return response;
  }

  /** POSTs a form of the page at `path` (its CSRF token included), as a user submitting it. */
  async submit(page: LightMyRequestResponse, path: string, form: Record<string, string>) {
    const csrf = hiddenField(page.body, 'csrf');
    assert.ok(csrf !== null, `no csrf field: ${page.body.slice(0, 300)}`);
    return this.follow(await this.post(path, { csrf, ...form }));
  }

  /**
   * Follows redirects from `response`: Gatehouse ones through inject, the provider through its
   * scripted login, back to the callback (form_post as a browser sends it). Stops at a page, or
   * at a redirect leaving both (returned as is).
   */
  async follow(response: LightMyRequestResponse): Promise<LightMyRequestResponse> {
    let current = response;
    for (let hop = 0; hop < 20; hop++) {
      const location = current.headers.location;
      if (current.statusCode < 300 || current.statusCode >= 400 || typeof location !== 'string') {
        return current;
      }
      const path = gatehousePath(location);
      if (path !== null) {
        current = await this.get(path);
        continue;
      }
      if (!location.startsWith(this.op.issuer)) return current;
      const back = await this.op.authorize(location);
      const callback = gatehousePath(back.url);
      assert.ok(callback !== null, `the provider sent the browser to ${back.url}`);
      if (back.method === 'GET') {
        current = await this.get(`${callback}?${back.parameters}`);
      } else {
        // A cross-site POST: SameSite=Lax cookies stay behind; the page re-posts same-site.
        const first = await this.post(callback, back.parameters, false);
        if (first.statusCode === 200 && first.body.includes('id="form-post"')) {
          const form = parseFormPost(first.body);
          current = await this.post(gatehousePath(form.action)!, form.parameters);
        } else {
          current = first;
        }
      }
    }
    throw new Error('too many redirects');
  }

  async open(path: string): Promise<LightMyRequestResponse> {
    return this.follow(await this.get(path));
  }

  /** Starts "Sign in with …" at /upstream/authorize and follows it to the first page. */
  async signIn(query = '', providerId = PROVIDER_ID): Promise<LightMyRequestResponse> {
    return this.open(`/upstream/authorize/${providerId}${query}`);
  }
}

/** Asserts the response is the error page with `status` and (part of) `message`. */
export function assertErrorPage(response: LightMyRequestResponse, status: number, message: RegExp) {
  assert.equal(response.statusCode, status, response.body.slice(0, 500));
  assert.match(response.headers['content-type'] as string, /text\/html/);
  assert.match(response.body, message);
  assert.doesNotMatch(response.body, /at .*\.ts:\d+|Error:/);
}

/** How many users and linked upstream accounts exist. */
export async function counts(
  h: TestApp,
): Promise<{ users: number; linkedLinks: number; links: number }> {
  return h.db.storage.transaction(async (repos) => {
    const users = await repos.users.count({});
    const links = await repos.upstreamOAuthLinks.count({});
    const page = await repos.upstreamOAuthLinks.listPage({}, { first: 100 });
    return { users, links, linkedLinks: page.items.filter((link) => link.userId !== null).length };
  });
}

/** Where the redirect goes (a path on Gatehouse). */
export function redirectPath(response: LightMyRequestResponse): string {
  assert.equal(response.statusCode, 303, response.body.slice(0, 500));
  return (
    gatehousePath(response.headers.location as string) ?? (response.headers.location as string)
  );
}
