// Shared by the Admin API tests: a real listener app serving `adminapi` and `oauth`, an admin
// client listed in `policy.data.admin_clients` and a plain one, their client_credentials tokens,
// authenticated requests, and a check of every answer against the served /api/spec.json.

import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { z } from 'zod';
import { asOAuth2ClientId } from '../../../src/model/ids.ts';
import { encryptClientSecret } from '../../../src/oauth2/client-secret.ts';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { bareClientFields } from '../../helpers/storage.ts';

export type { TestApp };

export const ADMIN_CLIENT_ID = asOAuth2ClientId('01J00000000000000000000ADM');
const PLAIN_CLIENT_ID = asOAuth2ClientId('01J00000000000000000000PNN');

export interface AdminApp {
  h: TestApp;
  /** A token with `urn:mas:admin`. */
  adminToken: string;
  /** A valid token without it. */
  plainToken: string;
  close(): Promise<void>;
}

async function addClient(h: TestApp, id: typeof ADMIN_CLIENT_ID): Promise<string> {
  const secret = `secret-${id}`;
  await h.db.storage.transaction((repos) =>
    repos.oauth2Clients.upsertStatic(
      h.clock,
      id,
      bareClientFields({
        encryptedClientSecret: encryptClientSecret(h.ctx.encrypter, h.ctx.rng, id, secret),
        tokenEndpointAuthMethod: 'client_secret_post',
        grantTypes: ['client_credentials'],
        applicationType: 'web',
        clientName: 'Admin tool',
      }),
    ),
  );
  return secret;
}

async function clientCredentialsToken(
  h: TestApp,
  id: string,
  secret: string,
  scope: string,
): Promise<string> {
  const response = await h.app.inject({
    method: 'POST',
    url: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: id,
      client_secret: secret,
      scope,
    }).toString(),
  });
  assert.equal(response.statusCode, 200, response.body);
  const body = response.json() as { access_token: string; scope: string };
  assert.equal(body.scope, scope);
  return body.access_token;
}

export async function startAdminApp(overrides: Record<string, unknown> = {}): Promise<AdminApp> {
  const h = await startTestApp(
    { policy: { data: { admin_clients: [ADMIN_CLIENT_ID] } }, ...overrides },
    { resources: ['adminapi', 'oauth', 'discovery'] },
  );
  try {
    const adminSecret = await addClient(h, ADMIN_CLIENT_ID);
    const plainSecret = await addClient(h, PLAIN_CLIENT_ID);
    return {
      h,
      adminToken: await clientCredentialsToken(h, ADMIN_CLIENT_ID, adminSecret, 'urn:mas:admin'),
      plainToken: await clientCredentialsToken(h, PLAIN_CLIENT_ID, plainSecret, 'custom:read'),
      close: () => h.close(),
    };
  } catch (error) {
    await h.close();
    throw error;
  }
}

/** A request to the Admin API with `token` (none when null). */
export function call(
  a: AdminApp,
  method: 'GET' | 'POST',
  url: string,
  options: { token?: string | null; body?: unknown } = {},
): Promise<LightMyRequestResponse> {
  const token = options.token === undefined ? a.adminToken : options.token;
  return a.h.app.inject({
    method,
    url: `/api/admin/v1${url}`,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(options.body === undefined ? {} : { payload: options.body as Record<string, unknown> }),
  });
}

type Json = Record<string, unknown>;
/** An answer's body, already validated against the document: read freely in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = Record<string, any>;

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string'
        ? inner.replace('#/components/schemas/', '#/$defs/')
        : rewriteRefs(inner),
    ]),
  );
}

/** Checks answers against the served OpenAPI document (fetched once per app). */
export class SpecChecker {
  #spec: Json | null = null;
  readonly checked = new Set<string>();
  readonly #a: AdminApp;
  constructor(a: AdminApp) {
    this.#a = a;
  }

  async spec(): Promise<Json> {
    if (this.#spec === null) {
      const response = await this.#a.h.app.inject({ method: 'GET', url: '/api/spec.json' });
      assert.equal(response.statusCode, 200);
      this.#spec = response.json() as Json;
    }
    return this.#spec;
  }

  /**
   * Asserts `response` has `status`, `Cache-Control: no-store`, and (when the document declares
   * a body for it) a body valid against the schema for `method template status`.
   */
  async check(
    response: LightMyRequestResponse,
    method: string,
    template: string,
    status: number,
  ): Promise<Body> {
    assert.equal(response.statusCode, status, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    const spec = await this.spec();
    const paths = spec.paths as Record<string, Record<string, Json>>;
    const operation = paths[template]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${template} is in the spec`);
    const declared = (operation.responses as Record<string, Json>)[String(status)];
    assert.ok(declared, `${method} ${template} declares ${status}`);
    this.checked.add(`${method} ${template} ${status}`);
    const content = declared.content as Record<string, { schema: Json }> | undefined;
    if (content === undefined) {
      assert.equal(response.body, '');
      return {};
    }
    const components = (spec.components as { schemas: Json }).schemas;
    const schema = z.fromJSONSchema(
      rewriteRefs({ ...content['application/json']!.schema, $defs: components }) as never,
    );
    const body = response.json() as Body;
    const result = schema.safeParse(body);
    assert.ok(
      result.success,
      `${method} ${template} ${status}: ${JSON.stringify(result.error?.issues)}`,
    );
    return body;
  }
}
