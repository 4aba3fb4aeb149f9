// POST /oauth2/introspect (RFC 7662) through the real listener app: MAS's exact fields for access
// and refresh tokens, `{"active":false}` for every kind of bad token, token_type_hint, caller
// authentication (confidential clients, the homeserver's Bearer secret; public clients refused),
// and activity recorded in batches rather than per call.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { generateToken } from '../../../src/crypto/tokens.ts';
import { SeededRng } from '../../../src/rng.ts';
import { openTestStorage, type TestStorage } from '../../helpers/storage.ts';
import {
  addClient,
  newAlice,
  postForm,
  startOAuthApp,
  tokensFor,
  type TestApp,
  type TestClient,
  type Tokens,
} from './oauth2-app.ts';
import { startTestApp } from '../../helpers/app.ts';

let h: TestApp;
let client: TestClient;
let tokens: Tokens;

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

function call(
  token: string,
  extra: Record<string, string> = {},
  who: TestClient | null = client,
  headers = {},
) {
  return postForm(h, '/oauth2/introspect', { token, ...extra }, who, headers);
}

async function body(token: string, extra: Record<string, string> = {}) {
  const response = await call(token, extra);
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.headers['cache-control'], 'no-store');
  return response.json() as Record<string, unknown>;
}

describe('POST /oauth2/introspect', () => {
  beforeEach(async () => {
    h = await startOAuthApp();
    await newAlice(h);
    client = await addClient(h);
    tokens = await tokensFor(h, client, {
      scope: 'openid urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ',
    });
  });
  afterEach(() => h.close());

  it('describes an access token with exactly MAS’s fields', async () => {
    const now = seconds(h.clock.now());
    const stored = await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      const [session] = await repos.oauth2Sessions.listActiveForUser(alice!.id);
      const [refresh] = await repos.refreshTokens.listForSession(session!.id);
      return { alice: alice!, refresh: refresh! };
    });
    h.clock.advance(100_000);
    const info = await body(tokens.access_token);
    assert.deepEqual(Object.keys(info), [
      'active',
      'scope',
      'client_id',
      'username',
      'token_type',
      'exp',
      'expires_in',
      'iat',
      'nbf',
      'sub',
      'jti',
    ]);
    assert.deepEqual(info, {
      active: true,
      scope:
        'openid urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ ' +
        'urn:matrix:org.matrix.msc2967.client:api:* urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ',
      client_id: client.id,
      username: 'alice',
      token_type: 'access_token',
      exp: now + 300,
      expires_in: 200,
      iat: now,
      nbf: now,
      sub: stored.alice.id,
      jti: stored.refresh.accessTokenId,
    });

    const refresh = await body(tokens.refresh_token!);
    assert.deepEqual(Object.keys(refresh), [
      'active',
      'scope',
      'client_id',
      'username',
      'token_type',
      'iat',
      'nbf',
      'sub',
      'jti',
    ]);
    assert.equal(refresh.token_type, 'refresh_token');
    assert.equal(refresh.jti, stored.refresh.id);
  });

  it('answers {"active":false} for malformed, unknown, expired tokens and ended sessions', async () => {
    const inactive = { active: false };
    assert.deepEqual(await body('nonsense'), inactive);
    assert.deepEqual(await body('mat_000000000000000000000000000000_000000'), inactive);
    assert.deepEqual(await body(`${tokens.access_token.slice(0, -1)}x`), inactive);
    const unknown = generateToken('accessToken', new SeededRng('unknown'));
    assert.deepEqual(await body(unknown), inactive, 'well formed, unknown');
    assert.deepEqual(await body(generateToken('compatAccessToken', new SeededRng(1))), inactive);
    const other = await tokensFor(h, await addClient(h));
    await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      for (const s of await repos.oauth2Sessions.listActiveForUser(alice!.id)) {
        if (s.clientId !== client.id) await repos.oauth2Sessions.finish(h.clock, s);
      }
    });
    assert.deepEqual(await body(other.access_token), inactive, 'ended session');
    h.clock.advance(301_000);
    assert.deepEqual(await body(tokens.access_token), inactive, 'expired');
    assert.equal((await body(tokens.refresh_token!)).active, true, 'refresh tokens do not expire');
  });

  it('a token_type_hint naming the other kind gives inactive; a matching one works', async () => {
    assert.deepEqual(await body(tokens.access_token, { token_type_hint: 'refresh_token' }), {
      active: false,
    });
    assert.deepEqual(await body(tokens.refresh_token!, { token_type_hint: 'access_token' }), {
      active: false,
    });
    assert.deepEqual(await body(tokens.access_token, { token_type_hint: 'bogus' }), {
      active: false,
    });
    assert.equal(
      (await body(tokens.access_token, { token_type_hint: 'access_token' })).active,
      true,
    );
  });

  it('a locked user’s tokens are inactive', async () => {
    await h.db.storage.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      await repos.users.lock(h.clock, alice!);
    });
    assert.deepEqual(await body(tokens.access_token), { active: false });
  });

  it('refuses public clients, missing or wrong credentials, and malformed requests', async () => {
    const pub = await addClient(h, { method: 'none' });
    const refused = await call(tokens.access_token, {}, pub);
    assert.equal(refused.statusCode, 401);
    assert.equal((refused.json() as { error: string }).error, 'invalid_client');
    const anonymous = await call(tokens.access_token, {}, null);
    assert.equal(anonymous.statusCode, 401);
    const wrong = await call(tokens.access_token, {}, { ...client, secret: 'nope' });
    assert.equal(wrong.statusCode, 401);
    const noToken = await postForm(h, '/oauth2/introspect', {}, client);
    assert.equal(noToken.statusCode, 400);
    assert.equal((noToken.json() as { error: string }).error, 'invalid_request');
    const json = await h.app.inject({
      method: 'POST',
      url: '/oauth2/introspect',
      headers: { 'content-type': 'application/json' },
      payload: '{"token":"x"}',
    });
    assert.equal(json.statusCode, 400);
  });

  it('the homeserver may introspect with Bearer matrix.secret, nothing else', async () => {
    const ok = await call(tokens.access_token, {}, null, { authorization: 'Bearer hs-secret' });
    assert.equal(ok.statusCode, 200);
    assert.equal((ok.json() as { active: boolean }).active, true);
    const bad = await call(tokens.access_token, {}, null, { authorization: 'Bearer not-it' });
    assert.equal(bad.statusCode, 401);
    assert.equal((bad.json() as { error: string }).error, 'access_denied');
  });

  it('answers the homeserver about a token of no known shape without a transaction', async () => {
    // Counts the transactions the handler opens (the storage itself is the real one).
    const storage = h.ctx.storage;
    const original = storage.transaction.bind(storage);
    let transactions = 0;
    storage.transaction = ((work: Parameters<typeof original>[0]) => {
      transactions += 1;
      return original(work);
    }) as typeof storage.transaction;
    const asHomeserver = (token: string, extra: Record<string, string> = {}) =>
      call(token, extra, null, { authorization: 'Bearer hs-secret' });
    try {
      for (const [token, extra] of [
        ['nonsense', {}],
        [`${tokens.access_token.slice(0, -1)}x`, {}],
        [tokens.access_token, { token_type_hint: 'refresh_token' }],
      ] as const) {
        const response = await asHomeserver(token, extra);
        assert.equal(response.statusCode, 200);
        assert.deepEqual(response.json(), { active: false });
      }
      assert.equal(transactions, 0);
      // A well-formed token still goes to the database, and so does a client's question.
      const unknown = generateToken('accessToken', new SeededRng('unknown'));
      assert.deepEqual((await asHomeserver(unknown)).json(), { active: false });
      assert.equal(transactions, 1);
      assert.deepEqual(await body('nonsense'), { active: false });
      assert.equal(transactions, 2);
    } finally {
      storage.transaction = original;
    }
  });
});

describe('activity', () => {
  let db: TestStorage;
  beforeEach(async () => {
    db = await openTestStorage('sqlite');
  });
  afterEach(() => db.cleanup());

  it('is written in a batch (not per call) and flushed on shutdown', async () => {
    h = await startTestApp({}, { existing: db });
    await newAlice(h);
    client = await addClient(h);
    tokens = await tokensFor(h, client);
    const read = () =>
      db.storage.transaction(async (repos) => {
        const alice = await repos.users.findByUsername('alice');
        const [session] = await repos.oauth2Sessions.listActiveForUser(alice!.id);
        const [refresh] = await repos.refreshTokens.listForSession(session!.id);
        const access = await repos.accessTokens.lookup(refresh!.accessTokenId!);
        return { session: session!, access: access! };
      });
    const usedAt = h.clock.now();
    for (let i = 0; i < 3; i++) assert.equal((await body(tokens.access_token)).active, true);
    const before = await read();
    assert.equal(before.access.firstUsedAt, null, 'not written per call');
    assert.equal(before.session.lastActiveAt, null);
    await h.close();
    const after = await read();
    assert.deepEqual(after.access.firstUsedAt, usedAt);
    assert.deepEqual(after.session.lastActiveAt, usedAt);
  });
});
