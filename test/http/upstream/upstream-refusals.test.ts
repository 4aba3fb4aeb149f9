// What an upstream sign-in refuses, each with a clear page and no account made: a wrong issuer,
// a bad signature, a replayed state, a nonce mismatch, a missing required claim, a disabled
// provider, an unmet claims requirement, an error from the provider, a callback from another
// browser, `login_only`; and every `on_conflict` value when the imported username exists.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpstreamClaimsImports } from '../../../src/model/upstream-oauth.ts';
import { addUser } from '../../helpers/app.ts';
import { assertErrorPage, Browser, counts, saveProvider, withUpstream } from './upstream-kit.ts';
import { claimsImports } from '../../upstream/provider-fixtures.ts';

const NOTHING_MADE = { users: 0, links: 0, linkedLinks: 0 };

function imports(
  localpart: Partial<UpstreamClaimsImports['localpart']>,
  skip = false,
): UpstreamClaimsImports {
  return claimsImports({
    skipConfirmation: skip,
    localpart: { action: 'require', template: null, onConflict: 'fail', ...localpart },
  });
}

describe('upstream sign-in refusals', () => {
  it('an ID token from another issuer', async () => {
    await withUpstream({}, async (t) => {
      await saveProvider(t.h, t.op, {
        discoveryMode: 'disabled',
        issuer: 'http://127.0.0.1:1/someone-else',
        authorizationEndpointOverride: `${t.op.issuer}/auth`,
        tokenEndpointOverride: `${t.op.issuer}/token`,
        jwksUriOverride: `${t.op.issuer}/jwks`,
      });
      const page = await new Browser(t.h, t.op).signIn();
      assertErrorPage(page, 400, /could not be verified/);
      assert.deepEqual(await counts(t.h), NOTHING_MADE);
    });
  });

  it('a discovery document for another issuer (strict discovery)', async () => {
    await withUpstream({}, async (t) => {
      await saveProvider(t.h, t.op, { issuer: t.op.issuer.replace('127.0.0.1', 'localhost') });
      const page = await new Browser(t.h, t.op).signIn();
      assertErrorPage(page, 502, /could not be contacted correctly/);
      assert.deepEqual(await counts(t.h), NOTHING_MADE);
    });
  });

  it('an ID token whose signature does not verify', async () => {
    await withUpstream({}, async (t) => {
      t.op.serveWrongKeys(true);
      const page = await new Browser(t.h, t.op).signIn();
      assertErrorPage(page, 400, /could not be verified/);
      assert.deepEqual(await counts(t.h), NOTHING_MADE);
    });
  });

  it('an ID token with another nonce', async () => {
    await withUpstream({}, async (t) => {
      t.op.tamperNonce(true);
      const page = await new Browser(t.h, t.op).signIn();
      assertErrorPage(page, 400, /could not be verified/);
      assert.deepEqual(await counts(t.h), NOTHING_MADE);
    });
  });

  it('a replayed callback, and a callback in another browser', async () => {
    await withUpstream({}, async (t) => {
      const browser = new Browser(t.h, t.op);
      const start = await browser.get(`/upstream/authorize/${t.provider.id}`);
      const back = await t.op.authorize(start.headers.location as string);
      const callback = `/upstream/callback/${t.provider.id}?${back.parameters}`;

      const thief = new Browser(t.h, t.op);
      assertErrorPage(await thief.get(callback), 400, /started in another browser/);

      const first = await browser.get(callback);
      assert.equal(first.statusCode, 303);
      assertErrorPage(await browser.get(callback), 400, /already been used/);
      assertErrorPage(
        await browser.get(`/upstream/callback/${t.provider.id}?code=x&state=unknown-state`),
        400,
        /unknown or has expired/,
      );
      assertErrorPage(
        await browser.get(`/upstream/callback/${t.provider.id}?code=x`),
        400,
        /without its state/,
      );
      assert.equal((await counts(t.h)).users, 0);
    });
  });

  it('an error from the provider', async () => {
    await withUpstream({}, async (t) => {
      t.op.refuseNext('access_denied', 'The user said no.');
      const page = await new Browser(t.h, t.op).signIn();
      assertErrorPage(page, 403, /did not let you sign in \(access_denied\)/);
      assert.deepEqual(await counts(t.h), NOTHING_MADE);
    });
  });

  it('a missing required claim', async () => {
    await withUpstream(
      { provider: { claimsImports: imports({ template: '{{ user.nickname }}' }) } },
      async (t) => {
        const page = await new Browser(t.h, t.op).signIn();
        assertErrorPage(page, 400, /did not send your username, which is required/);
        assert.equal((await counts(t.h)).users, 0);
      },
    );
  });

  it('a disabled provider', async () => {
    await withUpstream({ provider: { enabled: false } }, async (t) => {
      const page = await new Browser(t.h, t.op).signIn();
      assertErrorPage(page, 403, /not available any more/);
      assert.deepEqual(await counts(t.h), NOTHING_MADE);
      assert.ok(!t.op.requests.some((request) => request.startsWith('GET /auth')));
    });
  });

  it('a provider disabled between the start and the callback', async () => {
    await withUpstream({}, async (t) => {
      const browser = new Browser(t.h, t.op);
      const start = await browser.get(`/upstream/authorize/${t.provider.id}`);
      await saveProvider(t.h, t.op, { enabled: false });
      const back = await t.op.authorize(start.headers.location as string);
      const page = await browser.get(`/upstream/callback/${t.provider.id}?${back.parameters}`);
      assertErrorPage(page, 403, /not available any more/);
      assert.deepEqual(await counts(t.h), NOTHING_MADE);
    });
  });

  it('a claims requirement that is not met', async () => {
    await withUpstream(
      {
        provider: {
          claimsRequirements: [
            { claim: 'groups', contains: 'matrix-users', equals: null, message: null },
            { claim: 'groups', contains: 'admins', equals: null, message: 'Ask IT for access.' },
          ],
        },
      },
      async (t) => {
        const page = await new Browser(t.h, t.op).signIn();
        assertErrorPage(page, 403, /Ask IT for access\./);
        assert.deepEqual(await counts(t.h), NOTHING_MADE);
      },
    );
  });

  it('login_only: no account for a new upstream account, but a linked one signs in', async () => {
    await withUpstream({ provider: { loginOnly: true } }, async (t) => {
      const page = await new Browser(t.h, t.op).signIn();
      assertErrorPage(page, 403, /only be used to sign in to existing accounts/);
      assert.equal((await counts(t.h)).users, 0);

      const bob = await addUser(t.h, 'bob', 'Bobs-password-123456');
      await t.h.db.storage.transaction(async (repos) => {
        const link = await repos.upstreamOAuthLinks.findBySubject(t.provider.id, 'alice');
        await repos.upstreamOAuthLinks.associate(link!, bob.id);
      });
      const browser = new Browser(t.h, t.op);
      await browser.signIn();
      assert.equal(browser.visited.at(-1), 'GET /account');
    });
  });

  it('a locked account behind an existing link', async () => {
    await withUpstream({}, async (t) => {
      const bob = await addUser(t.h, 'bob', 'Bobs-password-123456');
      await t.h.db.storage.transaction(async (repos) => {
        await repos.upstreamOAuthLinks.add(t.h.ctx.rng, t.h.clock, {
          providerId: t.provider.id,
          subject: 'alice',
          userId: bob.id,
        });
        await repos.users.lock(t.h.clock, bob);
      });
      const page = await new Browser(t.h, t.op).signIn();
      assertErrorPage(page, 403, /This account is locked/);
      const sessions = await t.h.db.storage.transaction((repos) =>
        repos.browserSessions.countActive(),
      );
      assert.equal(sessions, 0);
    });
  });

  it('signing in as the link’s user ends another user’s session in this browser', async () => {
    await withUpstream({}, async (t) => {
      const bob = await addUser(t.h, 'bob', 'Bobs-password-123456');
      await addUser(t.h, 'carol', 'Carols-password-123456');
      await t.h.db.storage.transaction((repos) =>
        repos.upstreamOAuthLinks.add(t.h.ctx.rng, t.h.clock, {
          providerId: t.provider.id,
          subject: 'alice',
          userId: bob.id,
        }),
      );
      const browser = new Browser(t.h, t.op);
      const loginPage = await browser.get('/login');
      await browser.submit(loginPage, '/login', {
        username: 'carol',
        password: 'Carols-password-123456',
      });
      await browser.signIn();
      assert.equal(browser.visited.at(-1), 'GET /account');
      const active = await t.h.db.storage.transaction(async (repos) => ({
        bob: await repos.browserSessions.countActive(bob),
        all: await repos.browserSessions.countActive(),
      }));
      assert.deepEqual(active, { bob: 1, all: 1 });
    });
  });

  describe('on_conflict, when the imported username belongs to an account', () => {
    it('fail: refuses to create, offers only linking after signing in', async () => {
      await withUpstream(
        { provider: { claimsImports: imports({ onConflict: 'fail' }, true) } },
        async (t) => {
          await addUser(t.h, 'alice', 'Alices-password-123456');
          const page = await new Browser(t.h, t.op).signIn();
          assert.equal(page.statusCode, 200);
          assert.match(page.body, /An account with this username already exists/);
          assert.doesNotMatch(page.body, /value="register"/);
          assert.deepEqual(await counts(t.h), { users: 1, links: 1, linkedLinks: 0 });
        },
      );
    });

    it('add: links to that account and signs in', async () => {
      await withUpstream(
        { provider: { claimsImports: imports({ onConflict: 'add' }) } },
        async (t) => {
          const alice = await addUser(t.h, 'alice', 'Alices-password-123456');
          const browser = new Browser(t.h, t.op);
          await browser.signIn();
          assert.equal(browser.visited.at(-1), 'GET /account');
          const links = await t.h.db.storage.transaction((repos) =>
            repos.upstreamOAuthLinks.listForUser(alice.id),
          );
          assert.deepEqual(
            links.map((link) => link.subject),
            ['alice'],
          );
          assert.equal((await counts(t.h)).users, 1);
        },
      );
    });

    it('replace: replaces that account’s link to this provider', async () => {
      await withUpstream(
        { provider: { claimsImports: imports({ onConflict: 'replace' }) } },
        async (t) => {
          const alice = await addUser(t.h, 'alice', 'Alices-password-123456');
          await t.h.db.storage.transaction((repos) =>
            repos.upstreamOAuthLinks.add(t.h.ctx.rng, t.h.clock, {
              providerId: t.provider.id,
              subject: 'old-subject',
              userId: alice.id,
            }),
          );
          const browser = new Browser(t.h, t.op);
          await browser.signIn();
          assert.equal(browser.visited.at(-1), 'GET /account');
          const links = await t.h.db.storage.transaction((repos) =>
            repos.upstreamOAuthLinks.listForUser(alice.id),
          );
          assert.deepEqual(
            links.map((link) => link.subject),
            ['alice'],
          );
        },
      );
    });

    it('set: links only when that account has no link to this provider', async () => {
      await withUpstream(
        { provider: { claimsImports: imports({ onConflict: 'set' }) } },
        async (t) => {
          const alice = await addUser(t.h, 'alice', 'Alices-password-123456');
          await t.h.db.storage.transaction((repos) =>
            repos.upstreamOAuthLinks.add(t.h.ctx.rng, t.h.clock, {
              providerId: t.provider.id,
              subject: 'old-subject',
              userId: alice.id,
            }),
          );
          const page = await new Browser(t.h, t.op).signIn();
          assert.equal(page.statusCode, 200);
          assert.match(page.body, /already exists and is linked/);
          const links = await t.h.db.storage.transaction((repos) =>
            repos.upstreamOAuthLinks.listForUser(alice.id),
          );
          assert.deepEqual(
            links.map((link) => link.subject),
            ['old-subject'],
          );

          await t.h.db.storage.transaction(async (repos) => {
            await repos.upstreamOAuthLinks.remove(t.h.clock, links[0]!.id);
          });
          const browser = new Browser(t.h, t.op);
          await browser.signIn();
          assert.equal(browser.visited.at(-1), 'GET /account');
        },
      );
    });
  });

  it('the link page without the sign-in in this browser', async () => {
    await withUpstream({}, async (t) => {
      const browser = new Browser(t.h, t.op);
      await browser.signIn();
      const linkPath = browser.visited.at(-1)!.replace('GET ', '');
      const stranger = new Browser(t.h, t.op);
      assertErrorPage(
        await stranger.get(linkPath),
        400,
        /expired or was started in another browser/,
      );
      assertErrorPage(await stranger.get('/upstream/link/not-a-ulid'), 400, /Start again/);
    });
  });
});
