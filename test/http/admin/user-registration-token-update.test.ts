// Changing a registration token through the Admin API (MAS: PUT /user-registration-tokens/{id}):
// each field given is set (null removes it), an absent one is kept, `valid` follows; 404 for an
// unknown token, 400 for a bad body or id, 401/403. Checked against the spec.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, SpecChecker, startAdminApp, type AdminApp } from './admin-app.ts';

const ONE = '/api/admin/v1/user-registration-tokens/{id}';

describe('admin API: updating registration tokens', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  let id: string;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    const created = await call(a, 'POST', '/user-registration-tokens', {
      body: { token: 'welcome', usage_limit: 5 },
    });
    assert.equal(created.statusCode, 201, created.body);
    id = (created.json() as { data: { id: string } }).data.id;
  });
  after(() => a.close());

  const put = (target: string, body: unknown, token: string | null = a.adminToken) =>
    a.h.app.inject({
      method: 'PUT',
      url: `/api/admin/v1/user-registration-tokens/${target}`,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      payload: body as Record<string, unknown>,
    });

  it('sets the fields given and keeps the others', async () => {
    const past = new Date(a.h.clock.now().getTime() - 1000).toISOString();
    const expired = await spec.check(await put(id, { expires_at: past }), 'PUT', ONE, 200);
    assert.equal(expired.data.attributes.expires_at, past);
    assert.equal(expired.data.attributes.usage_limit, 5, 'kept');
    assert.equal(expired.data.attributes.valid, false);
    assert.equal(expired.links.self, `/api/admin/v1/user-registration-tokens/${id}`);

    const cleared = await spec.check(
      await put(id, { expires_at: null, usage_limit: null }),
      'PUT',
      ONE,
      200,
    );
    assert.equal(cleared.data.attributes.expires_at, null);
    assert.equal(cleared.data.attributes.usage_limit, null);
    assert.equal(cleared.data.attributes.valid, true);

    const limited = await spec.check(await put(id, { usage_limit: 0 }), 'PUT', ONE, 200);
    assert.equal(limited.data.attributes.usage_limit, 0);
    assert.equal(limited.data.attributes.valid, false, 'used up');
    const unchanged = await spec.check(await put(id, {}), 'PUT', ONE, 200);
    assert.deepEqual(unchanged.data, limited.data);
    const stored = await spec.check(
      await call(a, 'GET', `/user-registration-tokens/${id}`),
      'GET',
      ONE,
      200,
    );
    assert.deepEqual(stored.data, limited.data);
  });

  it('refuses bad bodies, ids and callers', async () => {
    await spec.check(await put(id, { usage_limit: -1 }), 'PUT', ONE, 400);
    await spec.check(await put(id, { expires_at: 'tomorrow' }), 'PUT', ONE, 400);
    await spec.check(await put('nope', {}), 'PUT', ONE, 400);
    const missing = await spec.check(await put('01J00000000000000000000000', {}), 'PUT', ONE, 404);
    assert.equal(
      missing.errors[0].title,
      'Registration token with ID 01J00000000000000000000000 not found',
    );
    await spec.check(await put(id, {}, null), 'PUT', ONE, 401);
    await spec.check(await put(id, {}, a.plainToken), 'PUT', ONE, 403);
  });
});
