// The Admin API's upstream OAuth 2.0 providers and links through a real app: lists with filters
// and pages, one by id, link creation (201, 200 for a link without a user, 409, 404, 400) and
// deletion (204, 404), 401/403, every answer checked against the served /api/spec.json.

import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { after, before, describe, it } from 'node:test';
import { asUpstreamOAuthProviderId } from '../../../src/model/upstream-oauth.ts';
import { addUser } from '../../helpers/app.ts';
import { providerFields } from '../../upstream/provider-fixtures.ts';
import { call, SpecChecker, startAdminApp, type AdminApp, type Body } from './admin-app.ts';

const PROVIDERS = '/api/admin/v1/upstream-oauth-providers';
const PROVIDER = '/api/admin/v1/upstream-oauth-providers/{id}';
const LINKS = '/api/admin/v1/upstream-oauth-links';
const LINK = '/api/admin/v1/upstream-oauth-links/{id}';
const UNKNOWN = '01J00000000000000000000000';
const P1 = asUpstreamOAuthProviderId('01H8PKNWKKRPCBW4YGH1RWV279');
const P2 = asUpstreamOAuthProviderId('01HFS67GJ145HCM9ZASYS9DC3J');

describe('admin API: upstream OAuth providers and links', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  const users: Record<string, string> = {};
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    for (const name of ['alice', 'bob']) users[name] = (await addUser(a.h, name, null)).id;
    await a.h.db.storage.transaction(async (repos) => {
      await repos.upstreamOAuthProviders.upsert(
        a.h.clock,
        P1,
        providerFields({ humanName: 'Keycloak', brandName: null }),
        true,
      );
      await repos.upstreamOAuthProviders.upsert(
        a.h.clock,
        P2,
        providerFields({ issuer: 'https://gitlab.com', humanName: 'GitLab', brandName: 'gitlab' }),
        false,
      );
    });
  });
  after(() => a.close());

  const del = (url: string, token?: string | null): Promise<LightMyRequestResponse> =>
    a.h.app.inject({
      method: 'DELETE',
      url: `/api/admin/v1${url}`,
      headers: token === null ? {} : { authorization: `Bearer ${token ?? a.adminToken}` },
    });

  describe('providers', () => {
    it('lists providers, filtered by enabled', async () => {
      const all = await spec.check(
        await call(a, 'GET', '/upstream-oauth-providers'),
        'GET',
        PROVIDERS,
        200,
      );
      assert.equal(all.meta.count, 2);
      assert.deepEqual(
        all.data.map((p: Body) => p.id),
        [P1, P2],
      );
      assert.equal(all.data[0].type, 'upstream-oauth-provider');
      assert.deepEqual(all.data[1].attributes, {
        issuer: 'https://gitlab.com',
        human_name: 'GitLab',
        brand_name: 'gitlab',
        created_at: a.h.clock.now().toISOString(),
        disabled_at: a.h.clock.now().toISOString(),
        registration_token_required: false,
      });
      const enabled = await spec.check(
        await call(a, 'GET', '/upstream-oauth-providers?filter[enabled]=true'),
        'GET',
        PROVIDERS,
        200,
      );
      assert.deepEqual(
        enabled.data.map((p: Body) => p.id),
        [P1],
      );
      const disabled = await spec.check(
        await call(a, 'GET', '/upstream-oauth-providers?filter[enabled]=false&page[first]=1'),
        'GET',
        PROVIDERS,
        200,
      );
      assert.deepEqual(
        disabled.data.map((p: Body) => p.id),
        [P2],
      );
      await spec.check(
        await call(a, 'GET', '/upstream-oauth-providers?filter[enabled]=maybe'),
        'GET',
        PROVIDERS,
        400,
      );
    });

    it('gets one provider; 404 when unknown, 400 when malformed', async () => {
      const one = await spec.check(
        await call(a, 'GET', `/upstream-oauth-providers/${P1}`),
        'GET',
        PROVIDER,
        200,
      );
      assert.equal(one.data.attributes.human_name, 'Keycloak');
      assert.equal(one.data.attributes.disabled_at, null);
      assert.equal(one.data.links.self, `${PROVIDERS}/${P1}`);
      await spec.check(
        await call(a, 'GET', `/upstream-oauth-providers/${UNKNOWN}`),
        'GET',
        PROVIDER,
        404,
      );
      assert.equal(
        (await call(a, 'GET', `/upstream-oauth-providers/${UNKNOWN}`)).json().errors[0].title,
        'Provider not found',
      );
      await spec.check(
        await call(a, 'GET', '/upstream-oauth-providers/nope'),
        'GET',
        PROVIDER,
        400,
      );
    });

    it('needs an admin token', async () => {
      await spec.check(
        await call(a, 'GET', '/upstream-oauth-providers', { token: null }),
        'GET',
        PROVIDERS,
        401,
      );
      await spec.check(
        await call(a, 'GET', '/upstream-oauth-providers', { token: a.plainToken }),
        'GET',
        PROVIDERS,
        403,
      );
    });
  });

  describe('links', () => {
    const add = async (body: Record<string, unknown>, status: number) =>
      spec.check(await call(a, 'POST', '/upstream-oauth-links', { body }), 'POST', LINKS, status);
    const list = async (query: string, status = 200) =>
      spec.check(await call(a, 'GET', `/upstream-oauth-links${query}`), 'GET', LINKS, status);

    it('creates, lists with filters, gets and deletes links', async () => {
      const created = await add(
        {
          user_id: users.alice,
          provider_id: P1,
          subject: 'alice-sub',
          human_account_name: 'alice@kc',
        },
        201,
      );
      const aliceLink = created.data.id as string;
      assert.equal(created.data.type, 'upstream-oauth-link');
      assert.deepEqual(created.data.attributes, {
        created_at: a.h.clock.now().toISOString(),
        provider_id: P1,
        subject: 'alice-sub',
        user_id: users.alice,
        human_account_name: 'alice@kc',
      });
      a.h.clock.advance(1000);
      const bobLink = (await add({ user_id: users.bob, provider_id: P2, subject: 'bob-sub' }, 201))
        .data.id as string;

      const all = await list('');
      assert.equal(all.meta.count, 2);
      assert.deepEqual(
        all.data.map((l: Body) => l.id),
        [aliceLink, bobLink],
      );
      const byUser = await list(`?filter[user]=${users.bob}`);
      assert.deepEqual(
        byUser.data.map((l: Body) => l.id),
        [bobLink],
      );
      const byProvider = await list(`?filter[provider]=${P1}&page[first]=1`);
      assert.deepEqual(
        byProvider.data.map((l: Body) => l.id),
        [aliceLink],
      );
      assert.equal(byProvider.links.self, `${LINKS}?filter[provider]=${P1}&page[first]=1`);
      const bySubject = await list('?filter[subject]=bob-sub');
      assert.deepEqual(
        bySubject.data.map((l: Body) => l.id),
        [bobLink],
      );
      const byName = await list('?filter[human-account-name]=alice%40kc');
      assert.deepEqual(
        byName.data.map((l: Body) => l.id),
        [aliceLink],
      );
      assert.equal((await list('?filter[subject]=nobody')).meta.count, 0);

      const one = await spec.check(
        await call(a, 'GET', `/upstream-oauth-links/${aliceLink}`),
        'GET',
        LINK,
        200,
      );
      assert.equal(one.data.attributes.subject, 'alice-sub');

      await spec.check(await del(`/upstream-oauth-links/${bobLink}`), 'DELETE', LINK, 204);
      await spec.check(await call(a, 'GET', `/upstream-oauth-links/${bobLink}`), 'GET', LINK, 404);
      await spec.check(await del(`/upstream-oauth-links/${bobLink}`), 'DELETE', LINK, 404);
      await spec.check(await del('/upstream-oauth-links/nope'), 'DELETE', LINK, 400);
      await spec.check(await del(`/upstream-oauth-links/${aliceLink}`, null), 'DELETE', LINK, 401);
      await spec.check(
        await del(`/upstream-oauth-links/${aliceLink}`, a.plainToken),
        'DELETE',
        LINK,
        403,
      );
    });

    it('refuses a subject already linked to a user (409), attaches a user-less link (200)', async () => {
      await add({ user_id: users.alice, provider_id: P2, subject: 'taken' }, 201);
      const conflict = await add({ user_id: users.bob, provider_id: P2, subject: 'taken' }, 409);
      assert.equal(
        conflict.errors[0].title,
        `Upstream Oauth 2.0 Provider ID ${P2} with subject taken is already linked to a user`,
      );

      const pending = await a.h.db.storage.transaction((repos) =>
        repos.upstreamOAuthLinks.add(a.h.ctx.rng, a.h.clock, {
          providerId: P2,
          subject: 'half-way',
        }),
      );
      assert.ok(pending);
      const attached = await add({ user_id: users.bob, provider_id: P2, subject: 'half-way' }, 200);
      assert.equal(attached.data.id, pending.id);
      assert.equal(attached.data.attributes.user_id, users.bob);
    });

    it('404 for an unknown user or provider, in the body or in filters', async () => {
      const noUser = await add({ user_id: UNKNOWN, provider_id: P1, subject: 's' }, 404);
      assert.equal(noUser.errors[0].title, `User ID ${UNKNOWN} not found`);
      const noProvider = await add(
        { user_id: users.alice, provider_id: UNKNOWN, subject: 's' },
        404,
      );
      assert.equal(
        noProvider.errors[0].title,
        `Upstream OAuth 2.0 Provider ID ${UNKNOWN} not found`,
      );
      await list(`?filter[user]=${UNKNOWN}`, 404);
      const noFilterProvider = await list(`?filter[provider]=${UNKNOWN}`, 404);
      assert.equal(noFilterProvider.errors[0].title, `Provider ID ${UNKNOWN} not found`);
      await spec.check(await call(a, 'GET', `/upstream-oauth-links/${UNKNOWN}`), 'GET', LINK, 404);
    });

    it('400 for a malformed body or filter', async () => {
      await add({ user_id: 'nope', provider_id: P1, subject: 's' }, 400);
      await add({ user_id: users.alice, provider_id: P1, subject: '' }, 400);
      await add({ user_id: users.alice, provider_id: P1 }, 400);
      await list('?filter[user]=nope', 400);
      await list('?filter[provider]=nope', 400);
      await spec.check(
        await call(a, 'POST', '/upstream-oauth-links', {
          body: { user_id: users.alice, provider_id: P1, subject: 's' },
          token: a.plainToken,
        }),
        'POST',
        LINKS,
        403,
      );
    });
  });
});
