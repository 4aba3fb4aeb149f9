import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AppContext } from '../../../src/http/app-context.ts';
import { asOAuth2ClientId } from '../../../src/model/ids.ts';
import { decryptClientSecret } from '../../../src/oauth2/client-secret.ts';
import { testAppContext, testConfig, startApp, type RunningApp } from '../../oauth2/fixtures.ts';
import { openTestStorage, type TestStorage } from '../../helpers/storage.ts';

const publicClient = {
  client_name: 'Element',
  'client_name#fr': 'Élément',
  client_uri: 'https://element.example.com/',
  redirect_uris: ['https://app.element.example.com/cb', 'com.example.element:/callback'],
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
};

describe('POST /oauth2/registration', () => {
  let t: TestStorage;
  let ctx: AppContext;
  let app: RunningApp;

  async function start(extra: Record<string, unknown> = {}) {
    ctx = testAppContext(t.storage, testConfig(extra));
    app = await startApp(ctx);
  }
  async function register(body: unknown, contentType = 'application/json') {
    const response = await fetch(`${app.base}/oauth2/registration`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      headers: response.headers,
      json: (await response.json()) as Record<string, unknown>,
    };
  }

  beforeEach(async () => {
    t = await openTestStorage('sqlite');
  });
  afterEach(async () => {
    await app?.close();
    await t.cleanup();
  });

  it('registers a public client and returns the same client for identical metadata', async () => {
    await start();
    const first = await register(publicClient);
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.match(String(first.json.client_id), /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal(first.json.client_secret, undefined);
    assert.equal(first.json.client_name, 'Element');
    assert.equal(first.json['client_name#fr'], 'Élément');
    assert.equal(first.json.token_endpoint_auth_method, 'none');
    assert.equal(first.json.client_id_issued_at, Math.floor(ctx.clock.now().getTime() / 1000));

    const reordered = { ...publicClient, redirect_uris: [...publicClient.redirect_uris].reverse() };
    const second = await register(reordered);
    assert.equal(second.json.client_id, first.json.client_id);
    const other = await register({ ...publicClient, client_name: 'Other' });
    assert.notEqual(other.json.client_id, first.json.client_id);

    const stored = await t.storage.transaction((repos) =>
      repos.oauth2Clients.lookup(asOAuth2ClientId(String(first.json.client_id))),
    );
    assert.equal(stored?.isStatic, false);
    assert.deepEqual(stored?.clientNameLocalized, { fr: 'Élément' });
    assert.deepEqual(stored?.grantTypes, ['authorization_code', 'refresh_token']);
    assert.equal(stored?.applicationType, 'native');
  });

  it('gives a confidential client a secret, once, stored encrypted', async () => {
    await start();
    const body = {
      client_uri: 'https://service.example.com/',
      redirect_uris: ['https://service.example.com/cb'],
      grant_types: ['authorization_code', 'client_credentials'],
      token_endpoint_auth_method: 'client_secret_post',
    };
    const response = await register(body);
    assert.equal(response.status, 201);
    const secret = String(response.json.client_secret);
    assert.match(secret, /^[A-Za-z0-9]{32}$/);
    assert.equal(response.json.client_secret_expires_at, 0);
    const id = asOAuth2ClientId(String(response.json.client_id));
    const stored = await t.storage.transaction((repos) => repos.oauth2Clients.lookup(id));
    assert.notEqual(stored?.encryptedClientSecret, secret);
    assert.equal(decryptClientSecret(ctx.encrypter, id, stored!.encryptedClientSecret!), secret);
    // Confidential clients are never deduplicated.
    const again = await register(body);
    assert.notEqual(again.json.client_id, response.json.client_id);
  });

  it('answers RFC 7591 errors with a description', async () => {
    await start();
    const badRedirect = await register({
      ...publicClient,
      redirect_uris: ['https://evil.example.org/cb'],
      application_type: 'web',
    });
    assert.equal(badRedirect.status, 400);
    assert.equal(badRedirect.json.error, 'invalid_redirect_uri');
    assert.match(String(badRedirect.json.error_description), /evil\.example\.org/);

    const insecure = await register({ ...publicClient, client_uri: 'http://element.example.com/' });
    assert.equal(insecure.json.error, 'invalid_client_metadata');

    const noKey = await register({ ...publicClient, id_token_signed_response_alg: 'HS256' });
    assert.equal(noKey.json.error, 'invalid_client_metadata');

    const malformed = await register('{"redirect_uris": [', 'application/json');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error, 'invalid_request');

    const form = await register('client_name=x', 'application/x-www-form-urlencoded');
    assert.equal(form.status, 400);
    assert.equal(form.json.error, 'invalid_request');
  });

  it('follows the policy switches and the device grant switch', async () => {
    await start({
      policy: {
        data: {
          client_registration: {
            allow_insecure_uris: true,
            allow_host_mismatch: true,
            allow_missing_client_uri: true,
          },
        },
      },
      oauth: { device_code_grant_enabled: false },
    });
    const lax = await register({
      redirect_uris: ['http://localhost:8080/cb'],
      token_endpoint_auth_method: 'none',
    });
    assert.equal(lax.status, 201, JSON.stringify(lax.json));
    const device = await register({
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
      token_endpoint_auth_method: 'none',
    });
    assert.equal(device.status, 400);
    assert.match(String(device.json.error_description), /device/);
  });
});
