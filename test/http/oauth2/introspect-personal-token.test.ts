// `mpt_` tokens at POST /oauth2/introspect as the homeserver sees them: MAS's fields, the device
// moved to `device_id` for `X-MAS-Supports-Device-Id: 1` exactly as for OAuth 2.0 sessions, the
// introspection cache (a hit answers without the database; revoking through the Admin API drops
// it at once), activity written in batches, and `{"active":false}` for a wrong hint, an expired
// token or a deactivated actor. The oauth and adminapi resources are mounted on one Fastify
// instance sharing one IntrospectionCache, as `gatehouse server` assembles them.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { generateToken } from '../../../src/crypto/tokens.ts';
import { adminapiResource } from '../../../src/http/resources/adminapi.ts';
import { oauthResource } from '../../../src/http/resources/oauth.ts';
import type { User } from '../../../src/model/user.ts';
import { IntrospectionCache } from '../../../src/services/introspection-cache.ts';
import { issuePersonalSession } from '../../../src/services/personal-sessions.ts';
import { addUser } from '../../helpers/app.ts';
import { ADMIN_CLIENT_ID, startAdminApp, type AdminApp } from '../admin/admin-app.ts';

const DEVICE = 'PATDEVICE01';

describe('POST /oauth2/introspect with personal access tokens', () => {
  let a: AdminApp;
  let app: FastifyInstance;
  let cache: IntrospectionCache;
  let alice: User;

  beforeEach(async () => {
    a = await startAdminApp();
    cache = new IntrospectionCache({ clock: a.h.clock, ttlMs: 60_000 });
    const ctx = { ...a.h.ctx, introspectionCache: cache };
    app = Fastify();
    await app.register(oauthResource(ctx));
    await app.register(adminapiResource(ctx));
    await app.ready();
    alice = await addUser(a.h, 'alice', null);
  });
  afterEach(async () => {
    await app.close();
    await a.close();
  });

  const issue = (scope: string, expiresIn: number | null = null, actor = alice) =>
    a.h.db.storage.transaction((repos) =>
      issuePersonalSession(
        repos,
        { clock: a.h.clock, rng: a.h.ctx.rng },
        { owner: { userId: actor.id }, actor, humanName: 'test', scope, expiresIn },
      ),
    );

  /** Introspects as the homeserver does (Bearer matrix.secret). */
  async function asHomeserver(token: string, extra: Record<string, string> = {}, device = true) {
    const response = await app.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Bearer hs-secret',
        ...(device ? { 'x-mas-supports-device-id': '1' } : {}),
      },
      payload: new URLSearchParams({ token, ...extra }).toString(),
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    return response.json() as Record<string, unknown>;
  }

  it('answers with MAS’s fields; the device in device_id for X-MAS-Supports-Device-Id: 1', async () => {
    const issued = await issue(`urn:matrix:client:api:* urn:matrix:client:device:${DEVICE}`, 600);
    const created = Math.floor(a.h.clock.now().getTime() / 1000);
    a.h.clock.advance(10_000);
    assert.deepEqual(await asHomeserver(issued.accessToken), {
      active: true,
      scope: 'urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:*',
      username: 'alice',
      token_type: 'access_token',
      exp: created + 600,
      expires_in: 590,
      iat: created,
      nbf: created,
      sub: alice.id,
      device_id: DEVICE,
    });
    const withoutHeader = await asHomeserver(issued.accessToken, {}, false);
    assert.equal(withoutHeader.device_id, undefined);
    assert.equal(
      withoutHeader.scope,
      `urn:matrix:client:api:* urn:matrix:client:device:${DEVICE} ` +
        `urn:matrix:org.matrix.msc2967.client:api:* urn:matrix:org.matrix.msc2967.client:device:${DEVICE}`,
    );
    // The hint must name an access token.
    assert.deepEqual(await asHomeserver(issued.accessToken, { token_type_hint: 'refresh_token' }), {
      active: false,
    });
    assert.equal(
      (await asHomeserver(issued.accessToken, { token_type_hint: 'access_token' })).active,
      true,
    );
    // Unknown (well-formed) and expired tokens.
    assert.deepEqual(await asHomeserver(generateToken('personalAccessToken', a.h.ctx.rng)), {
      active: false,
    });
    a.h.clock.advance(600_000);
    assert.deepEqual(await asHomeserver(issued.accessToken), { active: false });
  });

  it('answers from the cache, and a revocation through the Admin API drops it at once', async () => {
    const issued = await issue('urn:matrix:client:api:*');
    assert.equal((await asHomeserver(issued.accessToken)).active, true);
    assert.equal(cache.size, 1);
    // Revoked behind the cache's back: the cached answer is still given (the cache is working).
    await a.h.db.storage.transaction((repos) =>
      repos.personalSessions.revoke(a.h.clock, issued.session),
    );
    assert.equal((await asHomeserver(issued.accessToken)).active, true);

    const other = await issue('urn:matrix:client:api:*');
    assert.equal((await asHomeserver(other.accessToken)).active, true);
    const revoke = await app.inject({
      method: 'POST',
      url: `/api/admin/v1/personal-sessions/${other.session.id}/revoke`,
      headers: { authorization: `Bearer ${a.adminToken}` },
    });
    assert.equal(revoke.statusCode, 200, revoke.body);
    assert.deepEqual(await asHomeserver(other.accessToken), { active: false });

    // Regeneration drops the old token's answer too (a session the admin client owns).
    const created = await app.inject({
      method: 'POST',
      url: '/api/admin/v1/personal-sessions',
      headers: { authorization: `Bearer ${a.adminToken}` },
      payload: { actor_user_id: alice.id, human_name: 'bot', scope: 'urn:matrix:client:api:*' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const { id, attributes } = created.json().data;
    assert.equal((await asHomeserver(attributes.access_token)).active, true);
    const regenerated = await app.inject({
      method: 'POST',
      url: `/api/admin/v1/personal-sessions/${id}/regenerate`,
      headers: { authorization: `Bearer ${a.adminToken}` },
      payload: {},
    });
    assert.equal(regenerated.statusCode, 201, regenerated.body);
    assert.deepEqual(await asHomeserver(attributes.access_token), { active: false });
    const fresh = regenerated.json().data.attributes.access_token;
    assert.equal((await asHomeserver(fresh)).active, true);
  });

  it('records the session’s last activity in batches, not per call', async () => {
    const issued = await issue('urn:matrix:client:api:*');
    const usedAt = a.h.clock.now();
    for (let i = 0; i < 3; i++) assert.equal((await asHomeserver(issued.accessToken)).active, true);
    const read = () =>
      a.h.db.storage.transaction((repos) => repos.personalSessions.lookup(issued.session.id));
    assert.equal((await read())?.lastActiveAt, null, 'not written per call');
    await app.close();
    assert.deepEqual((await read())?.lastActiveAt, usedAt);
    app = Fastify(); // a stand-in for afterEach to close
  });

  it('answers a confidential client too, and is inactive once the actor is deactivated', async () => {
    const issued = await issue('urn:matrix:client:api:*');
    const asClient = await app.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        token: issued.accessToken,
        client_id: ADMIN_CLIENT_ID,
        client_secret: `secret-${ADMIN_CLIENT_ID}`,
      }).toString(),
    });
    assert.equal(asClient.json().active, true);
    await a.h.db.storage.transaction((repos) => repos.users.deactivate(a.h.clock, alice));
    // Straight from the database: no answer was cached for this caller's key.
    assert.deepEqual(await asHomeserver(issued.accessToken), { active: false });
  });
});
