// The consent page (/consent/{grant_id}) through the real listener app: what it shows, allow and
// deny, CSRF, sign-in first, answered or unknown requests, and unsafe client links left out.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  addClient,
  authorizeUrl,
  callbackParams,
  CookieJar,
  get,
  hiddenField,
  location,
  newAlice,
  signIn,
  startOAuthApp,
  submitForm,
  type TestApp,
  type TestClient,
} from './oauth2-app.ts';

describe('/consent/{grant_id}', () => {
  let h: TestApp;
  let client: TestClient;
  let jar: CookieJar;

  /** Signs in and starts a request; returns the consent page path. */
  async function consentPage(extra: Record<string, string> = {}): Promise<string> {
    await signIn(h, jar);
    const start = await get(h, jar, authorizeUrl(client, extra));
    const path = location(start).pathname;
    assert.match(path, /^\/consent\/[0-9A-Z]{26}$/);
    return path;
  }

  beforeEach(async () => {
    h = await startOAuthApp();
    await newAlice(h);
    client = await addClient(h);
    jar = new CookieJar();
  });
  afterEach(() => h.close());

  it('shows the scopes in plain words, Matrix scopes included', async () => {
    const path = await consentPage({
      scope: 'openid urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ custom:thing',
    });
    const page = await get(h, jar, path);
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(page.body, /read and send messages/);
    assert.match(page.body, /Sign in as the device “ABCDEFGHIJ”/);
    assert.match(page.body, /Other permission: custom:thing/);
    assert.match(page.body, /You are signed in as <strong>alice<\/strong>/);
    assert.ok(hiddenField(page.body, 'csrf'));
  });

  it('deny cancels the request and sends access_denied back', async () => {
    const path = await consentPage();
    const response = await submitForm(h, jar, path, { action: 'deny' });
    const params = callbackParams(response);
    assert.equal(params.get('error'), 'access_denied');
    assert.equal(params.get('state'), 'st4te');
    const grant = await h.db.storage.transaction((repos) =>
      repos.authorizationGrants.lookup(path.split('/').pop() as never),
    );
    assert.ok(grant?.cancelledAt);
    // Answered: the page is gone.
    const again = await get(h, jar, path);
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /already answered/);
  });

  it('refuses a POST without the CSRF token', async () => {
    const path = await consentPage();
    const response = await h.app.inject({
      method: 'POST',
      url: path,
      headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'action=allow',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.headers.location, undefined);
    assert.match(String(response.headers['content-type']), /^text\/html/);
  });

  it('sends a browser that is not signed in to the login page', async () => {
    const path = await consentPage();
    const stranger = new CookieJar();
    const response = await get(h, stranger, path);
    assert.equal(response.statusCode, 303);
    assert.equal(location(response).pathname, '/login');
  });

  it('binds the grant to the session that answers it', async () => {
    const path = await consentPage();
    await submitForm(h, jar, path, { action: 'allow' });
    const grant = await h.db.storage.transaction(async (repos) => {
      const g = await repos.authorizationGrants.lookup(path.split('/').pop() as never);
      const alice = await repos.users.findByUsername('alice');
      const sessions = await repos.browserSessions.listActiveForUser(alice!);
      return { g, sessions };
    });
    assert.equal(grant.g?.browserSessionId, grant.sessions[0]!.id);
  });

  it('answers 404 for an unknown or malformed grant id, and 400 for a bad action', async () => {
    await signIn(h, jar);
    assert.equal((await get(h, jar, '/consent/01HZZZZZZZZZZZZZZZZZZZZZZZ')).statusCode, 404);
    assert.equal((await get(h, jar, '/consent/..%2f..%2fetc')).statusCode, 404);
    const path = await consentPage();
    const response = await submitForm(h, jar, path, { action: 'maybe' });
    assert.equal(response.statusCode, 400);
  });

  it('leaves out links that are not http(s) and logos that are not https', async () => {
    client = await addClient(h, {
      fields: {
        logoUri: 'http://app.example.com/logo.png',
        tosUri: 'javascript:alert(1)',
        clientName: null,
      },
    });
    const path = await consentPage();
    const page = await get(h, jar, path);
    assert.doesNotMatch(page.body, /javascript:/);
    assert.doesNotMatch(page.body, /<img/);
    // Without a name, the redirect host names the client.
    assert.match(page.body, /Allow access to app.example.com\?/);
  });
});
