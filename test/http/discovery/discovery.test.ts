import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testAppContext, testConfig, startApp, type RunningApp } from '../../oauth2/fixtures.ts';
import { openTestStorage, type TestStorage } from '../../helpers/storage.ts';
import type { HttpResourceConfig } from '../../../src/config/sections/http.ts';
import { resourcePlugin, type ResourceDependencies } from '../../../src/http/resources/index.ts';

describe('discovery resource', () => {
  let t: TestStorage;
  let app: RunningApp;
  before(async () => {
    t = await openTestStorage('sqlite');
    app = await startApp(
      testAppContext(t.storage, testConfig({ account: { password_registration_enabled: true } })),
    );
  });
  after(async () => {
    await app.close();
    await t.cleanup();
  });

  for (const path of [
    '/.well-known/openid-configuration',
    '/.well-known/oauth-authorization-server',
  ]) {
    it(`serves the metadata at ${path} with CORS *`, async () => {
      const response = await fetch(`${app.base}${path}`, {
        headers: { origin: 'https://app.example' },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      const doc = (await response.json()) as Record<string, unknown>;
      assert.equal(doc.issuer, 'https://auth.example.com/');
      assert.equal(doc.token_endpoint, 'https://auth.example.com/oauth2/token');
      assert.deepEqual(doc.id_token_signing_alg_values_supported, [
        'RS256',
        'RS384',
        'RS512',
        'PS256',
        'PS384',
        'PS512',
        'ES256',
        'ES384',
        'ES256K',
        'EdDSA',
      ]);
      assert.ok((doc.prompt_values_supported as string[]).includes('create'));
    });
  }

  it('answers CORS preflights', async () => {
    const response = await fetch(`${app.base}/.well-known/openid-configuration`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /GET/);
  });

  it('webfinger links the issuer only for the OpenID issuer rel', async () => {
    const rel = encodeURIComponent('http://openid.net/specs/connect/1.0/issuer');
    const resource = encodeURIComponent('acct:alice@example.com');
    const withRel = await fetch(
      `${app.base}/.well-known/webfinger?resource=${resource}&rel=other&rel=${rel}`,
    );
    assert.equal(withRel.status, 200);
    assert.match(withRel.headers.get('content-type') ?? '', /^application\/jrd\+json/);
    assert.deepEqual(await withRel.json(), {
      subject: 'acct:alice@example.com',
      links: [
        { rel: 'http://openid.net/specs/connect/1.0/issuer', href: 'https://auth.example.com/' },
      ],
    });
    const without = await fetch(`${app.base}/.well-known/webfinger?resource=${resource}`);
    assert.deepEqual(await without.json(), { subject: 'acct:alice@example.com', links: [] });
    const missing = await fetch(`${app.base}/.well-known/webfinger`);
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: string }).error, 'invalid_request');
  });

  it('mounts nothing, with a warning, in a process without an application context', () => {
    for (const name of ['discovery', 'oauth'] as const) {
      const warnings: string[] = [];
      const deps = {
        app: null,
        logger: { warn: (_fields: unknown, message: string) => warnings.push(message) },
      } as unknown as ResourceDependencies;
      assert.equal(resourcePlugin({ name } as HttpResourceConfig, deps), null);
      assert.match(warnings[0] ?? '', new RegExp(name));
    }
  });
});
