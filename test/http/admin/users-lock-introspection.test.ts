// Locking or deactivating a user through the Admin API drops the cached introspections of their
// tokens at once. The oauth and adminapi resources are mounted on one Fastify instance sharing one
// IntrospectionCache, as `gatehouse server` assembles them (the test app has no cache).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { adminapiResource } from '../../../src/http/resources/adminapi.ts';
import { oauthResource } from '../../../src/http/resources/oauth.ts';
import type { UserId } from '../../../src/model/ids.ts';
import { issueTokens } from '../../../src/oauth2/token-issuer.ts';
import { IntrospectionCache } from '../../../src/services/introspection-cache.ts';
import { activeForHomeserver, addUser } from '../../helpers/app.ts';
import { ADMIN_CLIENT_ID, startAdminApp, type AdminApp } from './admin-app.ts';

describe('admin API: locking a user and the introspection cache', () => {
  let a: AdminApp;
  let app: FastifyInstance;

  beforeEach(async () => {
    a = await startAdminApp();
    // A TTL far longer than the test: only an invalidation can end an entry.
    const cache = new IntrospectionCache({ clock: a.h.clock, ttlMs: 600_000 });
    const ctx = { ...a.h.ctx, introspectionCache: cache };
    app = Fastify();
    await app.register(oauthResource(ctx));
    await app.register(adminapiResource(ctx));
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await a.close();
  });

  async function userWithToken(username: string): Promise<{ userId: UserId; token: string }> {
    const userId = (await addUser(a.h, username, null)).id;
    const token = await a.h.db.storage.transaction(async (repos) => {
      const session = await repos.oauth2Sessions.add(a.h.ctx.rng, a.h.clock, {
        clientId: ADMIN_CLIENT_ID,
        userId,
        browserSessionId: null,
        scope: 'openid urn:matrix:client:api:*',
        userAgent: null,
      });
      const issued = await issueTokens(
        repos,
        session,
        { clock: a.h.clock, rng: a.h.ctx.rng, accessTokenTtl: 3600 },
        false,
      );
      return issued.accessToken;
    });
    return { userId, token };
  }

  async function admin(path: string): Promise<void> {
    const response = await app.inject({
      method: 'POST',
      url: `/api/admin/v1${path}`,
      headers: { authorization: `Bearer ${a.adminToken}` },
    });
    assert.equal(response.statusCode, 200, response.body);
  }

  for (const action of ['lock', 'deactivate']) {
    it(`${action}: the user's tokens introspect inactive at once, not after the cache TTL`, async () => {
      const { userId, token } = await userWithToken(`user-${action}`);
      // The first answer comes from the database and is cached; the second from the cache.
      assert.equal(await activeForHomeserver(app, token), true);
      assert.equal(await activeForHomeserver(app, token), true);
      await admin(`/users/${userId}/${action}`);
      assert.equal(await activeForHomeserver(app, token), false);
    });
  }
});
