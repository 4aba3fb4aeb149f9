// POST /oauth2/revoke (RFC 7009) through the real listener app: revoking an access or a refresh
// token ends the whole session (MAS), unknown and malformed tokens are a 200 that changes nothing,
// another client's token is refused and kept, and token_type_hint is honoured.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  addClient,
  introspect,
  newAlice,
  postForm,
  startOAuthApp,
  tokensFor,
  type TestApp,
  type TestClient,
  type Tokens,
} from './oauth2-app.ts';

let h: TestApp;
let client: TestClient;
let tokens: Tokens;

const revoke = (
  token: string,
  extra: Record<string, string> = {},
  who: TestClient | null = client,
) => postForm(h, '/oauth2/revoke', { token, ...extra }, who);
const refresh = (token: string) =>
  postForm(h, '/oauth2/token', { grant_type: 'refresh_token', refresh_token: token }, client);

describe('POST /oauth2/revoke', () => {
  beforeEach(async () => {
    h = await startOAuthApp();
    await newAlice(h);
    client = await addClient(h);
    tokens = await tokensFor(h, client);
  });
  afterEach(() => h.close());

  it('revoking the access token ends the session: both tokens stop working', async () => {
    const response = await revoke(tokens.access_token, { token_type_hint: 'access_token' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.body, '');
    assert.deepEqual(await introspect(h, client, tokens.access_token), { active: false });
    assert.equal((await refresh(tokens.refresh_token!)).statusCode, 400);
    const sessions = await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      return repos.oauth2Sessions.listActiveForUser(alice!.id);
    });
    assert.equal(sessions.length, 0);
    // Again: still 200.
    assert.equal((await revoke(tokens.access_token)).statusCode, 200);
  });

  it('revoking the refresh token ends the session too', async () => {
    assert.equal((await revoke(tokens.refresh_token!)).statusCode, 200);
    assert.deepEqual(await introspect(h, client, tokens.access_token), { active: false });
  });

  it('an old (rotated) token changes nothing', async () => {
    const next = (await refresh(tokens.refresh_token!)).json() as Tokens;
    assert.equal((await revoke(tokens.refresh_token!)).statusCode, 200);
    assert.equal((await revoke(tokens.access_token)).statusCode, 200);
    assert.equal((await introspect(h, client, next.access_token)).active, true);
  });

  it('unknown and malformed tokens, and a mismatched hint, are a 200 that changes nothing', async () => {
    for (const token of ['nonsense', 'mat_000000000000000000000000000000_000000']) {
      assert.equal((await revoke(token)).statusCode, 200);
    }
    assert.equal(
      (await revoke(tokens.access_token, { token_type_hint: 'refresh_token' })).statusCode,
      200,
    );
    assert.equal((await introspect(h, client, tokens.access_token)).active, true);
  });

  it('refuses another client’s token and keeps it; refuses an unknown hint', async () => {
    const other = await addClient(h);
    const response = await revoke(tokens.access_token, {}, other);
    assert.equal(response.statusCode, 400);
    assert.equal((response.json() as { error: string }).error, 'unauthorized_client');
    assert.equal((await introspect(h, client, tokens.access_token)).active, true);
    const hint = await revoke(tokens.access_token, { token_type_hint: 'id_token' });
    assert.equal(hint.statusCode, 400);
    assert.equal((hint.json() as { error: string }).error, 'unsupported_token_type');
  });

  it('needs client authentication and a token', async () => {
    const anonymous = await revoke(tokens.access_token, {}, null);
    assert.equal(anonymous.statusCode, 401);
    assert.equal((anonymous.json() as { error: string }).error, 'invalid_client');
    const missing = await postForm(h, '/oauth2/revoke', {}, client);
    assert.equal(missing.statusCode, 400);
    assert.equal((missing.json() as { error: string }).error, 'invalid_request');
    // A public client may revoke its own tokens.
    const pub = await addClient(h, { method: 'none' });
    const own = await tokensFor(h, pub);
    assert.equal((await revoke(own.refresh_token!, {}, pub)).statusCode, 200);
    assert.deepEqual(await introspect(h, client, own.access_token), { active: false });
  });
});
