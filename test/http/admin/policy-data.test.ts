// The Admin API's policy data through a real app: setting a version (201), refusing data that
// cannot be merged over the configuration's (400), the latest and one version by id (404 when
// none), every answer checked against the served /api/spec.json. Then two app instances on one
// database, on SQLite and PostgreSQL: a version posted to one is in force there at once and on
// the other after its reload (SQLite: the periodic reload, driven by hand; PostgreSQL: the
// database's notification alone) — shown by a client that only the new data lets ask for
// `urn:mas:admin`.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { asOAuth2ClientId, type OAuth2ClientId } from '../../../src/model/ids.ts';
import { encryptClientSecret } from '../../../src/oauth2/client-secret.ts';
import type { Every } from '../../../src/services/policy-data-service.ts';
import { startTestApp, type TestApp } from '../../helpers/app.ts';
import { dialects, openStorage, openTestStorage, type TestStorage } from '../../helpers/storage.ts';
import { clientFields } from '../../storage/conformance/oauth2-fixtures.ts';
import { ADMIN_CLIENT_ID, call, SpecChecker, startAdminApp, type AdminApp } from './admin-app.ts';

const SET = '/api/admin/v1/policy-data';
const LATEST = '/api/admin/v1/policy-data/latest';
const ONE = '/api/admin/v1/policy-data/{id}';

describe('admin API: policy data', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  before(async () => {
    a = await startAdminApp({
      policy: { data: { admin_clients: [ADMIN_CLIENT_ID], requester: { banned_ips: [] } } },
    });
    spec = new SpecChecker(a);
  });
  after(() => a.close());

  it('has no latest version until one is set', async () => {
    const none = await spec.check(await call(a, 'GET', '/policy-data/latest'), 'GET', LATEST, 404);
    assert.equal(none.errors[0].title, 'No policy data found');
  });

  it('sets a version, then serves it as the latest and by id', async () => {
    const data = { requester: { banned_ips: ['10.0.0.0/8'] }, hello: 'world' };
    const set = await spec.check(
      await call(a, 'POST', '/policy-data', { body: { data } }),
      'POST',
      SET,
      201,
    );
    assert.equal(set.data.type, 'policy-data');
    assert.deepEqual(set.data.attributes.data, data);
    assert.equal(set.data.attributes.created_at, a.h.clock.now().toISOString());
    assert.equal(set.links.self, `${SET}/${set.data.id}`);
    a.h.clock.advance(1000);
    const newer = await spec.check(
      await call(a, 'POST', '/policy-data', { body: { data: { hello: 'again' } } }),
      'POST',
      SET,
      201,
    );
    const latest = await spec.check(
      await call(a, 'GET', '/policy-data/latest'),
      'GET',
      LATEST,
      200,
    );
    assert.deepEqual(latest, newer);
    const first = await spec.check(
      await call(a, 'GET', `/policy-data/${set.data.id}`),
      'GET',
      ONE,
      200,
    );
    assert.deepEqual(first, set);
  });

  it('refuses data that cannot be merged over the configuration', async () => {
    const clash = await spec.check(
      await call(a, 'POST', '/policy-data', {
        body: { data: { requester: { banned_ips: '10.0.0.1' } } },
      }),
      'POST',
      SET,
      400,
    );
    assert.equal(
      clash.errors[0].title,
      'Invalid policy data: requester.banned_ips: cannot merge a string into an array',
    );
    for (const body of [{}, { data: ['x'] }, { data: 'x' }]) {
      await spec.check(await call(a, 'POST', '/policy-data', { body }), 'POST', SET, 400);
    }
  });

  it('answers 404 for an unknown version and 400 for a malformed id', async () => {
    const missing = await spec.check(
      await call(a, 'GET', '/policy-data/01J00000000000000000000000'),
      'GET',
      ONE,
      404,
    );
    assert.equal(
      missing.errors[0].title,
      'Policy data with ID 01J00000000000000000000000 not found',
    );
    await spec.check(await call(a, 'GET', '/policy-data/nope'), 'GET', ONE, 400);
  });

  it('needs an admin token', async () => {
    await spec.check(
      await call(a, 'POST', '/policy-data', { token: null, body: { data: {} } }),
      'POST',
      SET,
      401,
    );
    await spec.check(
      await call(a, 'GET', '/policy-data/latest', { token: a.plainToken }),
      'GET',
      LATEST,
      403,
    );
  });
});

const TOOL_ID = asOAuth2ClientId('01J0000000000000000000T00L');

/** A client_credentials client stored in the database (not in the configuration). */
async function addClient(h: TestApp, id: OAuth2ClientId): Promise<string> {
  const secret = `secret-${id}`;
  await h.db.storage.transaction((repos) =>
    repos.oauth2Clients.upsertStatic(
      h.clock,
      id,
      clientFields({
        encryptedClientSecret: encryptClientSecret(h.ctx.encrypter, h.ctx.rng, id, secret),
        tokenEndpointAuthMethod: 'client_secret_post',
        grantTypes: ['client_credentials'],
        redirectUris: [],
      }),
    ),
  );
  return secret;
}

/** A client_credentials request for `urn:mas:admin`. */
function adminTokenRequest(h: TestApp, id: string, secret: string) {
  return h.app.inject({
    method: 'POST',
    url: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: id,
      client_secret: secret,
      scope: 'urn:mas:admin',
    }).toString(),
  });
}

const adminTokenStatus = async (h: TestApp, id: string, secret: string): Promise<number> =>
  (await adminTokenRequest(h, id, secret)).statusCode;

function manualSchedule() {
  const ticks = new Set<() => void>();
  const every: Every = (_ms, tick) => {
    ticks.add(tick);
    return () => ticks.delete(tick);
  };
  return { every, tick: () => ticks.forEach((tick) => tick()) };
}

for (const dialect of dialects) {
  describe(`${dialect}: policy data across two app instances`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('is in force at once where posted, and on the other instance after its reload', async () => {
      const db = await openTestStorage(dialect);
      cleanups.push(() => db.cleanup());
      const second = openStorage(db.uri);
      const secondDb: TestStorage = { storage: second, uri: db.uri, cleanup: () => second.close() };
      cleanups.push(() => secondDb.cleanup());
      const overrides = { policy: { data: { admin_clients: [ADMIN_CLIENT_ID] } } };
      const resources = ['adminapi', 'oauth'];
      const schedules = [manualSchedule(), manualSchedule()];
      const one = await startTestApp(overrides, {
        resources,
        existing: db,
        policyData: { every: schedules[0]!.every },
      });
      cleanups.push(() => one.close());
      const two = await startTestApp(overrides, {
        resources,
        existing: secondDb,
        policyData: { every: schedules[1]!.every },
      });
      cleanups.push(() => two.close());
      // The two instances share seeded randomness: their clocks keep their ids apart.
      two.clock.advance(3_600_000);

      const adminSecret = await addClient(one, ADMIN_CLIENT_ID);
      const toolSecret = await addClient(one, TOOL_ID);
      const token = await adminTokenRequest(one, ADMIN_CLIENT_ID, adminSecret);
      assert.equal(token.statusCode, 200, token.body);
      const adminToken = (token.json() as { access_token: string }).access_token;
      assert.notEqual(await adminTokenStatus(one, TOOL_ID, toolSecret), 200);
      assert.notEqual(await adminTokenStatus(two, TOOL_ID, toolSecret), 200);

      const posted = await one.app.inject({
        method: 'POST',
        url: '/api/admin/v1/policy-data',
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { data: { admin_clients: [TOOL_ID] } },
      });
      assert.equal(posted.statusCode, 201, posted.body);
      const id = (posted.json() as { data: { id: string } }).data.id;
      assert.equal(one.ctx.policyData?.version, id);
      assert.equal(await adminTokenStatus(one, TOOL_ID, toolSecret), 200);
      // The configured admin client keeps its rights: the stored list is added to the configured one.
      assert.equal(await adminTokenStatus(one, ADMIN_CLIENT_ID, adminSecret), 200);

      if (dialect === 'sqlite') {
        // No notifications: the periodic reload brings it.
        assert.notEqual(await adminTokenStatus(two, TOOL_ID, toolSecret), 200);
        schedules[1]!.tick();
      }
      const deadline = performance.now() + 5000;
      while (two.ctx.policyData?.version !== id) {
        assert.ok(performance.now() < deadline, 'the second instance picks up the version');
        await sleep(10);
      }
      assert.equal(await adminTokenStatus(two, TOOL_ID, toolSecret), 200);
    });
  });
}
