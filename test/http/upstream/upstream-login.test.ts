// Sign in with an upstream provider, through the real app and a real oidc-provider: the first
// login creates an account from the mapped claims, the second finds it; linking to an existing
// account; the claim import actions; form_post; skip_confirmation; continuing an OAuth 2.0
// authorization; admin_claim.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addUser } from '../../helpers/app.ts';
import { takeJobs } from '../human/register-kit.ts';
import { addClient, authorizeUrl, REDIRECT_URI } from '../oauth2/oauth2-app.ts';
import {
  Browser,
  counts,
  hiddenField,
  redirectPath,
  withUpstream,
  type UpstreamTest,
} from './upstream-kit.ts';
import { claimsImports, SKIP_CONFIRMATION } from '../../upstream/provider-fixtures.ts';

async function userState(t: UpstreamTest, username: string) {
  return t.h.db.storage.transaction(async (repos) => {
    const user = await repos.users.findByUsername(username);
    if (user === null) return null;
    const emails = (await repos.userEmails.listForUser(user)).map((row) => row.email);
    const links = await repos.upstreamOAuthLinks.listForUser(user.id);
    const sessions = await repos.browserSessions.listActiveForUser(user);
    return { user, emails, links, sessions };
  });
}

describe('upstream sign-in', () => {
  it('creates an account from the claims at the first login, and finds it at the second', async () => {
    await withUpstream({}, async (t) => {
      const browser = new Browser(t.h, t.op);
      const page = await browser.signIn();
      assert.equal(page.statusCode, 200, page.body.slice(0, 500));
      assert.match(page.body, /Continue with Example IdP/);
      assert.match(page.body, /alice@upstream\.test/);
      assert.equal(/name="username"[^>]*value="alice"/.test(page.body), true, 'suggested username');
      const linkPath = browser.visited.at(-1)!.replace('GET ', '');
      assert.match(linkPath, /^\/upstream\/link\/[0-9A-Z]{26}$/);
      assert.deepEqual(await counts(t.h), { users: 0, links: 1, linkedLinks: 0 });

      const created = await browser.submit(page, linkPath, {
        action: 'register',
        username: 'alice',
        import_displayname: 'on',
        import_email: 'on',
      });
      assert.equal(created.statusCode, 200, created.body.slice(0, 300));
      assert.equal(browser.visited.at(-1), 'GET /account');
      const state = await userState(t, 'alice');
      assert.ok(state !== null);
      assert.deepEqual(state.emails, ['alice@upstream.test']);
      assert.equal(state.links.length, 1);
      assert.equal(state.links[0]!.subject, 'alice');
      assert.equal(state.links[0]!.humanAccountName, 'alice@upstream.test');
      assert.equal(state.sessions.length, 1);
      // The homeserver provisioning job carries the imported display name.
      const jobs = await takeJobs(t.h, 'provision-user');
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0]!.userId, state.user.id);
      assert.match(JSON.stringify(jobs[0]), /Alice Liddell/);

      // A new browser, the same upstream account: signed straight in.
      const second = new Browser(t.h, t.op);
      const again = await second.signIn();
      assert.equal(again.statusCode, 200);
      assert.equal(second.visited.at(-1), 'GET /account');
      assert.deepEqual(await counts(t.h), { users: 1, links: 1, linkedLinks: 1 });
      assert.equal((await userState(t, 'alice'))!.sessions.length, 2);
    });
  });

  it('works the same on PostgreSQL', async () => {
    await withUpstream({ dialect: 'postgres' }, async (t) => {
      const browser = new Browser(t.h, t.op);
      const page = await browser.signIn();
      const linkPath = browser.visited.at(-1)!.replace('GET ', '');
      await browser.submit(page, linkPath, {
        action: 'register',
        username: 'alice',
        import_email: 'on',
      });
      assert.equal(browser.visited.at(-1), 'GET /account');
      assert.deepEqual((await userState(t, 'alice'))?.emails, ['alice@upstream.test']);
      const again = new Browser(t.h, t.op);
      await again.signIn();
      assert.equal(again.visited.at(-1), 'GET /account');
      assert.deepEqual(await counts(t.h), { users: 1, links: 1, linkedLinks: 1 });
    });
  });

  it('lets the user choose another username and leave out suggested attributes', async () => {
    await withUpstream({}, async (t) => {
      const browser = new Browser(t.h, t.op);
      const page = await browser.signIn();
      const linkPath = browser.visited.at(-1)!.replace('GET ', '');
      await browser.submit(page, linkPath, { action: 'register', username: 'wonderland' });
      const state = await userState(t, 'wonderland');
      assert.ok(state !== null);
      assert.deepEqual(state.emails, []);
      assert.equal(await userState(t, 'alice'), null);
    });
  });

  it('imports forced attributes without asking, and skips the page with skip_confirmation', async () => {
    const forced = claimsImports({
      ...SKIP_CONFIRMATION,
      displayname: { action: 'force', template: null },
      email: { action: 'force', template: null, setEmailVerification: 'import' },
    });
    await withUpstream({ provider: { claimsImports: forced } }, async (t) => {
      const browser = new Browser(t.h, t.op);
      const page = await browser.signIn();
      assert.equal(page.statusCode, 200);
      assert.equal(browser.visited.at(-1), 'GET /account');
      const state = await userState(t, 'alice');
      assert.deepEqual(state?.emails, ['alice@upstream.test']);
    });
  });

  it('shows a forced username as fixed, and ignores a posted one', async () => {
    const localpart = {
      action: 'force',
      template: '{{ user.preferred_username }}-x',
      onConflict: 'fail',
    } as const;
    await withUpstream({ provider: { claimsImports: claimsImports({ localpart }) } }, async (t) => {
      const browser = new Browser(t.h, t.op);
      const page = await browser.signIn();
      assert.match(page.body, /alice-x/);
      assert.doesNotMatch(page.body, /name="username"/);
      assert.doesNotMatch(page.body, /import_email/);
      const linkPath = browser.visited.at(-1)!.replace('GET ', '');
      await browser.submit(page, linkPath, { action: 'register', username: 'mallory' });
      assert.ok((await userState(t, 'alice-x')) !== null);
      assert.equal(await userState(t, 'mallory'), null);
    });
  });

  it('with `ignore`, the user types the username; the policy and taken names are refused', async () => {
    const email = { action: 'suggest', template: null, setEmailVerification: 'never' } as const;
    await withUpstream({ provider: { claimsImports: claimsImports({ email }) } }, async (t) => {
      await addUser(t.h, 'taken', 'pw-0123456789');
      const browser = new Browser(t.h, t.op);
      const page = await browser.signIn();
      assert.doesNotMatch(page.body, /name="username"[^>]*value=/);
      // An address the provider did not vouch for (`never`) is not imported.
      assert.match(page.body, /was not verified/);
      const linkPath = browser.visited.at(-1)!.replace('GET ', '');
      const taken = await browser.submit(page, linkPath, { action: 'register', username: 'taken' });
      assert.equal(taken.statusCode, 400);
      assert.match(taken.body, /This username is taken/);
      const invalid = await browser.submit(taken, linkPath, {
        action: 'register',
        username: 'Not Valid!',
      });
      assert.equal(invalid.statusCode, 400);
      assert.equal((await counts(t.h)).users, 1);
      const ok = await browser.submit(invalid, linkPath, {
        action: 'register',
        username: 'chosen',
      });
      assert.equal(ok.statusCode, 200);
      assert.deepEqual((await userState(t, 'chosen'))?.emails, []);
    });
  });

  it('asks for a registration token and the terms when required, even with skip_confirmation', async () => {
    await withUpstream(
      {
        provider: { claimsImports: SKIP_CONFIRMATION, registrationTokenRequired: true },
        config: {
          branding: { service_name: 'Example Auth', tos_uri: 'https://example.test/tos' },
        },
      },
      async (t) => {
        await t.h.db.storage.transaction((repos) =>
          repos.registrationTokens.add(t.h.ctx.rng, t.h.clock, {
            token: 'let-me-in',
            usageLimit: 1,
          }),
        );
        const browser = new Browser(t.h, t.op);
        const page = await browser.signIn();
        assert.equal(page.statusCode, 200);
        assert.match(page.body, /name="token"/);
        assert.match(page.body, /name="accept_terms"/);
        const linkPath = browser.visited.at(-1)!.replace('GET ', '');
        const refused = await browser.submit(page, linkPath, {
          action: 'register',
          token: 'wrong',
        });
        assert.equal(refused.statusCode, 400);
        assert.match(refused.body, /registration token is not valid/);
        assert.match(refused.body, /accept the terms of service/);
        assert.equal((await counts(t.h)).users, 0);
        await browser.submit(refused, linkPath, {
          action: 'register',
          token: 'let-me-in',
          accept_terms: 'on',
        });
        assert.equal(browser.visited.at(-1), 'GET /account');
        const { token, terms } = await t.h.db.storage.transaction(async (repos) => {
          const user = await repos.users.findByUsername('alice');
          return {
            token: await repos.registrationTokens.findByToken('let-me-in'),
            terms: await repos.userTerms.listForUser(user!),
          };
        });
        assert.equal(token?.timesUsed, 1);
        assert.equal(terms.length, 1);
      },
    );
  });

  it('links the upstream account to an existing one after a password sign-in', async () => {
    await withUpstream({}, async (t) => {
      await addUser(t.h, 'bob', 'Bobs-password-123456');
      const browser = new Browser(t.h, t.op);
      const page = await browser.signIn();
      const linkPath = browser.visited.at(-1)!.replace('GET ', '');
      const loginHref = /href="([^"]*login\?next=[^"]*)"/
        .exec(page.body)![1]!
        .replace(/&amp;/g, '&');
      const loginPage = await browser.get(loginHref);
      const signedIn = await browser.submit(loginPage, '/login', {
        username: 'bob',
        password: 'Bobs-password-123456',
        next: hiddenField(loginPage.body, 'next')!,
      });
      assert.equal(browser.visited.at(-1), `GET ${linkPath}`);
      assert.match(signedIn.body, /Link your Example IdP account to <strong>bob<\/strong>/);
      const linked = await browser.submit(signedIn, linkPath, { action: 'link' });
      assert.equal(linked.statusCode, 200);
      assert.equal(browser.visited.at(-1), 'GET /account');
      const state = await userState(t, 'bob');
      assert.equal(state?.links.length, 1);
      assert.equal((await counts(t.h)).users, 1);

      // From now on the upstream account signs bob in.
      const other = new Browser(t.h, t.op);
      await other.signIn();
      assert.equal(other.visited.at(-1), 'GET /account');
      assert.equal((await userState(t, 'bob'))?.sessions.length, 2);
    });
  });

  it('links to the signed-in account from the account page (action=link)', async () => {
    await withUpstream({}, async (t) => {
      await addUser(t.h, 'carol', 'Carols-password-123456');
      const browser = new Browser(t.h, t.op);
      const start = await browser.get(`/upstream/authorize/${t.provider.id}?action=link`);
      assert.match(redirectPath(start), /^\/login\?next=/);
      const loginPage = await browser.get(redirectPath(start));
      const page = await browser.submit(loginPage, '/login', {
        username: 'carol',
        password: 'Carols-password-123456',
        next: hiddenField(loginPage.body, 'next')!,
      });
      assert.match(page.body, /Link your Example IdP account to <strong>carol<\/strong>/);
      const linkPath = browser.visited.at(-1)!.replace('GET ', '');
      const done = await browser.submit(page, linkPath, { action: 'link' });
      assert.equal(browser.visited.at(-1), 'GET /account/upstream');
      assert.match(done.body, /Example IdP/);
      assert.match(done.body, /alice@upstream\.test/);
    });
  });

  it('continues a pending OAuth 2.0 authorization after the upstream sign-in', async () => {
    await withUpstream({ provider: { claimsImports: SKIP_CONFIRMATION } }, async (t) => {
      const client = await addClient(t.h);
      const browser = new Browser(t.h, t.op);
      const authorize = await browser.get(authorizeUrl(client));
      const login = redirectPath(authorize);
      assert.match(login, /^\/login\?next=/);
      const next = new URL(login, 'http://x').searchParams.get('next')!;
      const consent = await browser.signIn(`?${new URLSearchParams({ next })}`);
      // Back at /authorize, signed in: the consent page of the client.
      assert.equal(consent.statusCode, 200, consent.body.slice(0, 300));
      assert.ok(browser.visited.some((entry) => entry.startsWith('GET /authorize?')));
      const decided = await browser.submit(
        consent,
        browser.visited.at(-1)!.replace('GET ', '').split('?')[0]!,
        {
          action: 'allow',
        },
      );
      assert.equal(decided.statusCode, 303);
      assert.ok((decided.headers.location as string).startsWith(REDIRECT_URI));
    });
  });

  it('continues a legacy SSO login (compat) after the upstream sign-in', async () => {
    await withUpstream({ provider: { claimsImports: SKIP_CONFIRMATION } }, async (t) => {
      const login = await t.h.db.storage.transaction((repos) =>
        repos.compatSsoLogins.add(t.h.ctx.rng, t.h.clock, 'https://client.example/sso-done'),
      );
      const browser = new Browser(t.h, t.op);
      const start = await browser.get(`/complete-compat-sso/${login.id}`);
      const next = new URL(redirectPath(start), 'http://x').searchParams.get('next');
      assert.equal(next, `/complete-compat-sso/${login.id}`);
      const confirm = await browser.signIn(`?${new URLSearchParams({ next: next! })}`);
      assert.equal(browser.visited.at(-1), `GET /complete-compat-sso/${login.id}`);
      assert.match(confirm.body, /alice/);
      const done = await browser.submit(confirm, `/complete-compat-sso/${login.id}`, {});
      assert.equal(done.statusCode, 303);
      assert.match(
        done.headers.location as string,
        /^https:\/\/client\.example\/sso-done\?loginToken=/,
      );
    });
  });

  it('uses response_mode=form_post, re-posting once from our origin', async () => {
    await withUpstream({ provider: { responseMode: 'form_post' } }, async (t) => {
      const browser = new Browser(t.h, t.op);
      const page = await browser.signIn();
      assert.equal(page.statusCode, 200);
      assert.ok(
        browser.visited.filter((entry) => entry.startsWith('POST /upstream/callback/')).length ===
          2,
      );
      assert.match(browser.visited.at(-1)!, /^GET \/upstream\/link\//);
    });
  });

  it('grants admin rights from admin_claim, and revokes them with `revoke`', async () => {
    await withUpstream(
      {
        provider: {
          claimsImports: SKIP_CONFIRMATION,
          adminClaim: { claim: 'groups', contains: 'staff', equals: null, revoke: true },
        },
      },
      async (t) => {
        await new Browser(t.h, t.op).signIn();
        assert.equal((await userState(t, 'alice'))?.user.canRequestAdmin, true);
        const { saveProvider } = await import('./upstream-kit.ts');
        await saveProvider(t.h, t.op, {
          claimsImports: SKIP_CONFIRMATION,
          adminClaim: { claim: 'groups', contains: 'admins', equals: null, revoke: true },
        });
        await new Browser(t.h, t.op).signIn();
        assert.equal((await userState(t, 'alice'))?.user.canRequestAdmin, false);
      },
    );
  });
});
