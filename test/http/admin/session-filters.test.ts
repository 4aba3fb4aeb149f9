// The session lists' newer MAS filters through a real app: dates on every kind (RFC 3339, kept
// normalised in the links, 400 otherwise), `filter[user-session]` (404 when unknown), and for
// OAuth 2.0 sessions repeated `filter[client]` (any), `filter[client-kind]` and repeated
// `filter[scope]` (all). Every answer is checked against the served spec.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserSession } from '../../../src/model/browser-session.ts';
import type { OAuth2Session } from '../../../src/model/oauth2-session.ts';
import { addUser } from '../../helpers/app.ts';
import { clientFields, newClientId } from '../../storage/conformance/oauth2-fixtures.ts';
import {
  ADMIN_CLIENT_ID,
  call,
  SpecChecker,
  startAdminApp,
  type AdminApp,
  type Body,
} from './admin-app.ts';

const PREFIX = '/api/admin/v1';

describe('admin API: session list filters', () => {
  let a: AdminApp;
  let spec: SpecChecker;
  let browser: BrowserSession;
  let web: OAuth2Session;
  let cli: OAuth2Session;
  let started: string;
  before(async () => {
    a = await startAdminApp();
    spec = new SpecChecker(a);
    const alice = await addUser(a.h, 'alice', null);
    a.h.clock.advance(60_000);
    started = a.h.clock.now().toISOString();
    const h = a.h;
    ({ browser, web, cli } = await h.db.storage.transaction(async (repos) => {
      const browser = await repos.browserSessions.add(h.ctx.rng, h.clock, alice);
      const client = await repos.oauth2Clients.addDynamic(
        h.clock,
        newClientId(h.clock, h.ctx.rng),
        clientFields(),
      );
      const session = (clientId: typeof client.id, scope: string, from: boolean) =>
        repos.oauth2Sessions.add(h.ctx.rng, h.clock, {
          clientId,
          userId: alice.id,
          browserSessionId: from ? browser.id : null,
          scope,
          userAgent: null,
        });
      return {
        browser,
        web: await session(client.id, 'openid email', true),
        cli: await session(ADMIN_CLIENT_ID, 'openid', false),
      };
    }));
  });
  after(() => a.close());

  const list = async (kind: string, query: string, status = 200) =>
    spec.check(await call(a, 'GET', `/${kind}${query}`), 'GET', `${PREFIX}/${kind}`, status);
  const ids = (body: Body) => body.data.map((s: Body) => s.id);

  it('filters every kind by creation and activity dates', async () => {
    const after = await list(
      'oauth2-sessions',
      `?filter[created-after]=${started.replace('Z', '%2B00:00')}`,
    );
    assert.deepEqual(ids(after), [], 'strictly after: nothing created later');
    const since = await list(
      'oauth2-sessions',
      `?filter[created-after]=${encodeURIComponent('2026-01-01T00:00:30+00:00')}`,
    );
    assert.deepEqual(ids(since), [web.id, cli.id]);
    assert.equal(
      since.links.self,
      `${PREFIX}/oauth2-sessions?filter[created-after]=2026-01-01T00%3A00%3A30.000Z&page[first]=10`,
    );
    assert.deepEqual(ids(await list('user-sessions', `?filter[created-before]=${started}`)), []);
    assert.deepEqual(
      ids(await list('user-sessions', '?filter[created-before]=2999-01-01T00:00:00Z')),
      [browser.id],
    );
    assert.deepEqual(
      ids(await list('compat-sessions', '?filter[last-active-after]=2000-01-01T00:00:00Z')),
      [],
    );
    const bad = await list('user-sessions', '?filter[last-active-before]=yesterday', 400);
    assert.equal(bad.errors[0].title, 'filter[last-active-before] must be an RFC 3339 date-time');
  });

  it('filters by the browser session a session came from', async () => {
    assert.deepEqual(ids(await list('oauth2-sessions', `?filter[user-session]=${browser.id}`)), [
      web.id,
    ]);
    assert.deepEqual(ids(await list('compat-sessions', `?filter[user-session]=${browser.id}`)), []);
    const unknown = await list(
      'oauth2-sessions',
      '?filter[user-session]=01J00000000000000000000000',
      404,
    );
    assert.equal(unknown.errors[0].title, 'User session ID 01J00000000000000000000000 not found');
  });

  it('filters OAuth 2.0 sessions by clients, client kind and scopes', async () => {
    const both = await list(
      'oauth2-sessions',
      `?filter[user]=${web.userId}&filter[client]=${web.clientId}&filter[client]=${ADMIN_CLIENT_ID}`,
    );
    assert.deepEqual(ids(both), [web.id, cli.id]);
    assert.match(both.links.self, /filter\[client\]=.*&filter\[client\]=/);
    const dynamic = await list(
      'oauth2-sessions',
      `?filter[user]=${web.userId}&filter[client-kind]=dynamic`,
    );
    assert.deepEqual(ids(dynamic), [web.id]);
    const configured = await list(
      'oauth2-sessions',
      `?filter[user]=${web.userId}&filter[client-kind]=static`,
    );
    assert.deepEqual(ids(configured), [cli.id]);
    assert.deepEqual(
      ids(
        await list(
          'oauth2-sessions',
          `?filter[user]=${web.userId}&filter[scope]=openid&filter[scope]=email`,
        ),
      ),
      [web.id],
    );
    await list('oauth2-sessions', '?filter[client-kind]=other', 400);
    const scope = await list('oauth2-sessions', '?filter[scope]=bad%20scope', 400);
    assert.equal(scope.errors[0].title, 'Invalid scope "bad scope" in filter parameters');
    await list('oauth2-sessions', '?filter[client]=01J00000000000000000000000', 404);
  });
});
