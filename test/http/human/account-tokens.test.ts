// GET/POST /account/tokens through the real app on SQLite: creating a personal access token
// (shown once, then only listed), which scopes are offered (admin scopes only to admins, per the
// grant policy), bad input re-rendered with errors, revocation (the token becomes inactive at
// /oauth2/introspect), CSRF refusal, somebody else's token, the login redirect, and the
// `account.personal_access_tokens_allowed` switch.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { checkToken } from '../../../src/crypto/tokens.ts';
import { issuePersonalSession } from '../../../src/services/personal-sessions.ts';
import type { CookieJar } from './account-kit.ts';
import {
  addClient,
  addUser,
  get,
  hiddenField,
  ids,
  postForm,
  signedInAlice,
  type TestApp,
  type TestClient,
} from './account-kit.ts';

const PAGE = '/account/tokens';
let h: TestApp;
let jar: CookieJar;
let client: TestClient;

/** POSTs `pairs` (repeatable names) with the page's CSRF token. */
async function submit(url: string, pairs: [string, string][], csrf?: string | null) {
  const page = await get(h, jar, PAGE);
  assert.equal(page.statusCode, 200, page.body.slice(0, 300));
  const token = csrf === undefined ? hiddenField(page.body, 'csrf') : csrf;
  const form = new URLSearchParams(token === null ? pairs : [['csrf', token], ...pairs]);
  const response = await h.app.inject({
    method: 'POST',
    url,
    headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: form.toString(),
  });
  jar.update(response);
  return response;
}

const newToken = (html: string) => /id="new-token" type="text" value="([^"]+)"/.exec(html)?.[1];

async function active(token: string): Promise<boolean> {
  const response = await postForm(h, '/oauth2/introspect', { token }, client);
  assert.equal(response.statusCode, 200, response.body);
  return (response.json() as { active: boolean }).active;
}

describe('account tokens', () => {
  beforeEach(async () => {
    ({ h, jar } = await signedInAlice());
    client = await addClient(h);
  });
  afterEach(() => h.close());

  it('is linked from the account overview', async () => {
    const overview = await get(h, jar, '/account');
    assert.match(overview.body, /href="\/account\/tokens"/);
  });

  it('creates a token, shows it once, lists it, and it introspects as alice', async () => {
    const empty = await get(h, jar, PAGE);
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /You have no personal access tokens/);
    // A non-admin is offered the Matrix API only.
    assert.match(empty.body, /value="urn:matrix:client:api:\*"/);
    assert.doesNotMatch(empty.body, /urn:mas:admin|urn:synapse:admin/);

    const created = await submit(PAGE, [
      ['name', 'My <bot>'],
      ['scope', 'urn:matrix:client:api:*'],
      ['expires', '7'],
    ]);
    assert.equal(created.statusCode, 200, created.body.slice(0, 500));
    assert.equal(created.headers['cache-control'], 'no-store');
    const token = newToken(created.body)!;
    assert.equal(checkToken(token), 'personalAccessToken');
    assert.match(created.body, /My &lt;bot&gt;/);

    const answer = await postForm(h, '/oauth2/introspect', { token }, client);
    const body = answer.json() as Record<string, unknown>;
    assert.equal(body.active, true);
    assert.equal(body.username, 'alice');
    assert.equal(body.expires_in, 7 * 86400);
    assert.equal(body.client_id, undefined);

    const listed = await get(h, jar, PAGE);
    assert.equal(newToken(listed.body), undefined, 'shown only once');
    assert.doesNotMatch(listed.body, new RegExp(token));
    assert.match(listed.body, /<h3>My &lt;bot&gt;<\/h3>/);
    assert.match(listed.body, /Not yet/);
    const expires = new Date(h.clock.now().getTime() + 7 * 86_400_000);
    assert.match(listed.body, new RegExp(expires.toISOString().slice(0, 10)));

    const stored = await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      return repos.personalSessions.list({ actorUserId: alice!.id }, { first: 5 });
    });
    assert.equal(stored.items.length, 1);
    assert.deepEqual(stored.items[0]!.session.owner, {
      userId: stored.items[0]!.session.actorUserId,
    });
    assert.equal(stored.items[0]!.session.scope, 'urn:matrix:client:api:*');
  });

  it('revokes a token: inactive at once; somebody else’s is not found; CSRF is required', async () => {
    const created = await submit(PAGE, [
      ['name', 'to revoke'],
      ['scope', 'urn:matrix:client:api:*'],
      ['expires', 'never'],
    ]);
    const token = newToken(created.body)!;
    assert.equal(await active(token), true);
    const [id] = ids((await get(h, jar, PAGE)).body);

    const noCsrf = await submit(`${PAGE}/revoke`, [['id', id!]], null);
    assert.equal(noCsrf.statusCode, 400);
    assert.equal(await active(token), true);

    // Bob's token cannot be revoked from alice's page.
    const bob = await addUser(h, 'bob', null);
    const bobs = await h.db.storage.transaction((repos) =>
      issuePersonalSession(
        repos,
        { clock: h.clock, rng: h.ctx.rng },
        { owner: { userId: bob.id }, actor: bob, humanName: 'b', scope: 'openid', expiresIn: null },
      ),
    );
    const foreign = await submit(`${PAGE}/revoke`, [['id', bobs.session.id]]);
    assert.equal(foreign.statusCode, 404);
    assert.equal(await active(bobs.accessToken), true);
    assert.equal((await submit(`${PAGE}/revoke`, [['id', 'nope']])).statusCode, 404);

    const revoked = await submit(`${PAGE}/revoke`, [['id', id!]]);
    assert.equal(revoked.statusCode, 303);
    assert.equal(revoked.headers.location, PAGE);
    assert.equal(await active(token), false);
    assert.match((await get(h, jar, PAGE)).body, /You have no personal access tokens/);
    // Twice (another tab): not an error.
    assert.equal((await submit(`${PAGE}/revoke`, [['id', id!]])).statusCode, 303);
  });

  it('re-renders the form with errors for bad input, creating nothing', async () => {
    const cases: [string, [string, string][], RegExp][] = [
      [
        'no name',
        [
          ['name', '  '],
          ['scope', 'urn:matrix:client:api:*'],
          ['expires', '1'],
        ],
        /Give the token a name/,
      ],
      [
        'long name',
        [
          ['name', 'x'.repeat(101)],
          ['scope', 'urn:matrix:client:api:*'],
          ['expires', '1'],
        ],
        /at most 100 characters/,
      ],
      [
        'no scope',
        [
          ['name', 'n'],
          ['expires', '1'],
        ],
        /Choose at least one scope/,
      ],
      [
        'admin scope',
        [
          ['name', 'n'],
          ['scope', 'urn:mas:admin'],
          ['expires', '1'],
        ],
        /not available to you/,
      ],
      [
        'device scope',
        [
          ['name', 'n'],
          ['scope', 'urn:matrix:client:device:ABCDEFGHIJ'],
          ['expires', '1'],
        ],
        /not available to you/,
      ],
      [
        'bad expiry',
        [
          ['name', 'n'],
          ['scope', 'urn:matrix:client:api:*'],
          ['expires', '365'],
        ],
        /Choose when the token expires/,
      ],
    ];
    for (const [what, pairs, message] of cases) {
      const response = await submit(PAGE, pairs);
      assert.equal(response.statusCode, 400, what);
      assert.match(response.body, message, what);
      assert.match(response.body, /aria-invalid="true"|field-invalid/, what);
      assert.equal(newToken(response.body), undefined, what);
    }
    const count = await h.db.storage.transaction((repos) => repos.personalSessions.count({}));
    assert.equal(count, 0);
  });

  it('offers the admin scopes to admins, and they work in a token', async () => {
    await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      await repos.users.setCanRequestAdmin(alice!, true);
    });
    const page = await get(h, jar, PAGE);
    assert.match(page.body, /value="urn:mas:admin"/);
    assert.match(page.body, /value="urn:synapse:admin:\*"/);
    const created = await submit(PAGE, [
      ['name', 'admin'],
      ['scope', 'urn:mas:admin'],
      ['scope', 'urn:synapse:admin:*'],
      ['expires', '1'],
    ]);
    assert.equal(created.statusCode, 200);
    const answer = await postForm(
      h,
      '/oauth2/introspect',
      { token: newToken(created.body)! },
      client,
    );
    assert.equal((answer.json() as { scope: string }).scope, 'urn:mas:admin urn:synapse:admin:*');
  });

  it('sends a signed-out visitor to the login page', async () => {
    const response = await h.app.inject({ method: 'GET', url: PAGE });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, '/login?next=%2Faccount%2Ftokens');
  });
});

describe('account tokens without a homeserver', () => {
  afterEach(() => h.close());

  it('offers a non-admin nothing, and refuses the Matrix scope', async () => {
    ({ h, jar } = await signedInAlice({ matrix: undefined }));
    const page = await get(h, jar, PAGE);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /nothing a token could be used for/);
    assert.doesNotMatch(page.body, /name="scope"/);
    const response = await h.app.inject({
      method: 'POST',
      url: PAGE,
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        // No form on this page: the token of another account page (one per browser session).
        csrf: hiddenField((await get(h, jar, '/account/sessions')).body, 'csrf')!,
        name: 'n',
        scope: 'urn:matrix:client:api:*',
        expires: '1',
      }).toString(),
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /nothing a token could be used for/);
    assert.equal(await h.db.storage.transaction((repos) => repos.personalSessions.count({})), 0);
  });
});

describe('account tokens switched off', () => {
  afterEach(() => h.close());

  it('answers 404 when account.personal_access_tokens_allowed is false', async () => {
    ({ h, jar } = await signedInAlice({ account: { personal_access_tokens_allowed: false } }));
    const response = await get(h, jar, PAGE);
    assert.equal(response.statusCode, 404);
    assert.doesNotMatch((await get(h, jar, '/account')).body, /\/account\/tokens/);
    const post = await h.app.inject({
      method: 'POST',
      url: PAGE,
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=x',
    });
    assert.equal(post.statusCode, 404);
  });
});
