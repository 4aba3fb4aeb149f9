import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { MockClock } from '../../src/clock.ts';
import { createSigningKey, Keystore, type SigningAlgorithm } from '../../src/crypto/keystore.ts';
import { asOAuth2ClientId } from '../../src/model/ids.ts';
import type { ClientAuthMethod } from '../../src/model/oauth2-client.ts';
import {
  authenticateClient,
  extractClientCredentials,
  JWT_BEARER_ASSERTION_TYPE,
  type ClientAuthDeps,
} from '../../src/oauth2/client-auth.ts';
import { ClientJwksCache } from '../../src/oauth2/client-jwks.ts';
import { encryptClientSecret } from '../../src/oauth2/client-secret.ts';
import { OAuthError } from '../../src/oauth2/errors.ts';
import { parseUrlEncoded } from '../../src/oauth2/form-params.ts';
import { SeededRng } from '../../src/rng.ts';
import type { OAuth2ClientFields } from '../../src/storage/oauth2-client-repository.ts';
import { bareClientFields, openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { testEncrypter } from './fixtures.ts';

const ISSUER = 'https://auth.example.com/';
const TOKEN_ENDPOINT = 'https://auth.example.com/oauth2/token';
const SECRET = 'sécret:with+odd&chars %';
const rng = new SeededRng('client-auth');
const encrypter = testEncrypter();

// Client-side keys, signed with our own keystore class (it covers ES256K too).
const clientKeys = new Keystore([
  createSigningKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'c-rsa'),
  createSigningKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'c-p256'),
  createSigningKey(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey, 'c-k256'),
  createSigningKey(generateKeyPairSync('ed25519').privateKey, 'c-ed'),
]);
const rotatedKey = createSigningKey(
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  'c-new',
);

let t: TestStorage;
let clock: MockClock;
let jwks: ClientJwksCache;
let served: { keys: unknown[] };
let server: Server;
let jwksUri: string;
let fetches: number;
let jtiCounter = 0;

const ids = {
  none: asOAuth2ClientId('01J0000000000000000000NONE'),
  basic: asOAuth2ClientId('01J000000000000000000BAS1C'),
  post: asOAuth2ClientId('01J00000000000000000000P0S'),
  hmac: asOAuth2ClientId('01J0000000000000000000HMAC'),
  jwk: asOAuth2ClientId('01J00000000000000000000JWK'),
  remote: asOAuth2ClientId('01J00000000000000000REM0TE'),
  slow: asOAuth2ClientId('01J0000000000000000000S10W'),
};

function fields(
  method: ClientAuthMethod,
  extra: Partial<OAuth2ClientFields> = {},
): OAuth2ClientFields {
  return bareClientFields({
    tokenEndpointAuthMethod: method,
    grantTypes: ['client_credentials'],
    ...extra,
  });
}

function deps(): ClientAuthDeps {
  return { clock, encrypter, jwks, acceptedAudiences: () => [ISSUER, TOKEN_ENDPOINT] };
}

async function authenticate(authorization: string | undefined, body: string) {
  const credentials = extractClientCredentials(authorization, parseUrlEncoded(body));
  return t.storage.transaction((repos) => authenticateClient(credentials, repos, deps()));
}

function basic(id: string, secret: string): string {
  const form = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${form(id)}:${form(secret)}`).toString('base64')}`;
}

const failsWith = (code: string, pattern?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof OAuthError, String(e));
  assert.equal(e.error, code);
  if (pattern !== undefined) assert.match(`${e.description} ${e.detail ?? ''}`, pattern);
  return true;
};

function claims(
  clientId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(clock.now().getTime() / 1000);
  return {
    iss: clientId,
    sub: clientId,
    aud: TOKEN_ENDPOINT,
    iat: now,
    exp: now + 60,
    jti: `jti-${++jtiCounter}`,
    ...overrides,
  };
}

async function hmacAssertion(
  clientId: string,
  overrides: Record<string, unknown> = {},
  alg = 'HS256',
): Promise<string> {
  return new SignJWT(claims(clientId, overrides) as never)
    .setProtectedHeader({ alg })
    .sign(new TextEncoder().encode(SECRET));
}

function keyAssertion(
  clientId: string,
  alg: SigningAlgorithm,
  kid: string,
  overrides: Record<string, unknown> = {},
  keystore = clientKeys,
) {
  return keystore.sign({ payload: claims(clientId, overrides) }, alg, kid);
}

const assertionBody = (assertion: string) =>
  `client_assertion_type=${encodeURIComponent(JWT_BEARER_ASSERTION_TYPE)}&client_assertion=${assertion}`;

describe('client authentication', () => {
  beforeEach(async () => {
    t = await openTestStorage('sqlite');
    clock = new MockClock();
    fetches = 0;
    served = clientKeys.publicJwks();
    server = createServer((request, response) => {
      fetches++;
      if (request.url === '/slow') return; // never answers
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    jwks = new ClientJwksCache({ clock, timeoutMs: 200 });
    const secretFor = (id: typeof ids.basic) => encryptClientSecret(encrypter, rng, id, SECRET);
    await t.storage.transaction(async (repos) => {
      await repos.oauth2Clients.addDynamic(clock, ids.none, fields('none'));
      await repos.oauth2Clients.addDynamic(
        clock,
        ids.basic,
        fields('client_secret_basic', { encryptedClientSecret: secretFor(ids.basic) }),
      );
      await repos.oauth2Clients.addDynamic(
        clock,
        ids.post,
        fields('client_secret_post', { encryptedClientSecret: secretFor(ids.post) }),
      );
      await repos.oauth2Clients.addDynamic(
        clock,
        ids.hmac,
        fields('client_secret_jwt', { encryptedClientSecret: secretFor(ids.hmac) }),
      );
      await repos.oauth2Clients.addDynamic(
        clock,
        ids.jwk,
        fields('private_key_jwt', { jwks: clientKeys.publicJwks() as never }),
      );
      await repos.oauth2Clients.addDynamic(
        clock,
        ids.remote,
        fields('private_key_jwt', { jwksUri }),
      );
      await repos.oauth2Clients.addDynamic(
        clock,
        ids.slow,
        fields('private_key_jwt', { jwksUri: jwksUri.replace('/jwks', '/slow') }),
      );
    });
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.cleanup();
  });

  it('none: a bare client_id, only for public clients', async () => {
    assert.equal((await authenticate(undefined, `client_id=${ids.none}`)).id, ids.none);
    await assert.rejects(
      authenticate(undefined, `client_id=${ids.basic}`),
      failsWith('invalid_client', /client_secret_basic/),
    );
    await assert.rejects(
      authenticate(undefined, 'client_id=01J0000000000000000UNKNOWN'),
      failsWith('invalid_client'),
    );
    await assert.rejects(authenticate(undefined, 'grant_type=x'), failsWith('invalid_client'));
  });

  it('client_secret_basic: form-urlencoded id and secret inside Basic', async () => {
    assert.equal((await authenticate(basic(ids.basic, SECRET), '')).id, ids.basic);
    await assert.rejects(authenticate(basic(ids.basic, 'wrong'), ''), (e: unknown) => {
      failsWith('invalid_client')(e);
      assert.equal((e as OAuthError).status, 401);
      assert.match((e as OAuthError).wwwAuthenticate ?? '', /^Basic realm=/);
      return true;
    });
    // The raw (not form-encoded) secret only matches when encoding changes nothing: here it does.
    const raw = `Basic ${Buffer.from(`${ids.basic}:${SECRET}`).toString('base64')}`;
    await assert.rejects(authenticate(raw, ''), failsWith('invalid_client'));
    await assert.rejects(
      authenticate(basic(ids.post, SECRET), ''),
      failsWith('invalid_client', /client_secret_post/),
    );
    await assert.rejects(authenticate('Basic !!!', ''), failsWith('invalid_client'));
    await assert.rejects(
      authenticate(basic(ids.basic, SECRET), `client_id=${ids.post}`),
      failsWith('invalid_request'),
    );
    await assert.rejects(
      authenticate(basic(ids.basic, SECRET), `client_secret=${encodeURIComponent(SECRET)}`),
      failsWith('invalid_request', /only one/),
    );
  });

  it('client_secret_post', async () => {
    const body = (secret: string) =>
      `client_id=${ids.post}&client_secret=${encodeURIComponent(secret)}`;
    assert.equal((await authenticate(undefined, body(SECRET))).id, ids.post);
    await assert.rejects(authenticate(undefined, body('wrong')), failsWith('invalid_client'));
    await assert.rejects(
      authenticate(undefined, `client_id=${ids.basic}&client_secret=${encodeURIComponent(SECRET)}`),
      failsWith('invalid_client', /client_secret_basic/),
    );
  });

  it('client_secret_jwt: HS256/384/512 keyed by the client secret', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const assertion = await hmacAssertion(ids.hmac, { jti: `ok-${alg}` }, alg);
      assert.equal((await authenticate(undefined, assertionBody(assertion))).id, ids.hmac);
    }
    const wrongKey = await new SignJWT(claims(ids.hmac) as never)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('not the secret'));
    await assert.rejects(
      authenticate(undefined, assertionBody(wrongKey)),
      failsWith('invalid_client'),
    );
    // An assertion signed with a key is not client_secret_jwt.
    const asymmetric = await keyAssertion(ids.hmac, 'ES256', 'c-p256');
    await assert.rejects(
      authenticate(undefined, assertionBody(asymmetric)),
      failsWith('invalid_client', /algorithm/),
    );
  });

  it('checks the assertion claims: replay, expiry, audience, issuer, jti', async () => {
    const once = await hmacAssertion(ids.hmac, { jti: 'once' });
    await authenticate(undefined, assertionBody(once));
    await assert.rejects(
      authenticate(undefined, assertionBody(once)),
      failsWith('invalid_client', /already used/),
    );

    const now = Math.floor(clock.now().getTime() / 1000);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ exp: now - 1 }, /expired/],
      [{ exp: now + 7200 }, /too far/],
      [{ aud: 'https://elsewhere.example/token' }, /audience/],
      [{ iss: 'someone-else' }, /iss and sub/],
      [{ jti: undefined }, /jti/],
      [{ nbf: now + 600 }, /nbf/],
    ];
    for (const [overrides, pattern] of cases) {
      const assertion = await hmacAssertion(ids.hmac, overrides);
      await assert.rejects(
        authenticate(undefined, assertionBody(assertion)),
        failsWith('invalid_client', pattern),
        pattern.source,
      );
    }
    // The issuer is an accepted audience too, also inside an array.
    const toIssuer = await hmacAssertion(ids.hmac, { aud: ['x', ISSUER], jti: 'aud-issuer' });
    assert.equal((await authenticate(undefined, assertionBody(toIssuer))).id, ids.hmac);
  });

  it('refuses malformed assertion requests', async () => {
    const assertion = await hmacAssertion(ids.hmac);
    await assert.rejects(
      authenticate(undefined, `client_assertion_type=other&client_assertion=${assertion}`),
      failsWith('invalid_request'),
    );
    await assert.rejects(
      authenticate(undefined, `${assertionBody(assertion)}&client_id=${ids.post}`),
      failsWith('invalid_client'),
    );
    await assert.rejects(
      authenticate(undefined, assertionBody('not.a.jwt')),
      failsWith('invalid_client'),
    );
  });

  for (const [alg, kid] of [
    ['RS256', 'c-rsa'],
    ['PS384', 'c-rsa'],
    ['ES256', 'c-p256'],
    ['ES256K', 'c-k256'],
    ['EdDSA', 'c-ed'],
  ] as const) {
    it(`private_key_jwt ${alg} with registered jwks`, async () => {
      const assertion = await keyAssertion(ids.jwk, alg, kid);
      assert.equal((await authenticate(undefined, assertionBody(assertion))).id, ids.jwk);
    });
  }

  it('private_key_jwt: unknown kid and HMAC are refused', async () => {
    const otherKeys = new Keystore([rotatedKey]);
    const unknown = await keyAssertion(ids.jwk, 'ES256', 'c-new', {}, otherKeys);
    await assert.rejects(
      authenticate(undefined, assertionBody(unknown)),
      failsWith('invalid_client', /no key/),
    );
    const hmac = await hmacAssertion(ids.jwk);
    await assert.rejects(
      authenticate(undefined, assertionBody(hmac)),
      failsWith('invalid_client', /algorithm/),
    );
  });

  it('private_key_jwt with jwks_uri: cached, refetched once for a new kid', async () => {
    const first = await keyAssertion(ids.remote, 'ES256', 'c-p256', { jti: 'r1' });
    assert.equal((await authenticate(undefined, assertionBody(first))).id, ids.remote);
    const second = await keyAssertion(ids.remote, 'RS256', 'c-rsa', { jti: 'r2' });
    await authenticate(undefined, assertionBody(second));
    assert.equal(fetches, 1, 'the second assertion used the cached set');

    // The client rotates to a new key: one refetch finds it.
    served = { keys: [...clientKeys.publicJwks().keys, rotatedKey.publicJwk] };
    const rotated = await keyAssertion(
      ids.remote,
      'ES256',
      'c-new',
      { jti: 'r3' },
      new Keystore([rotatedKey]),
    );
    assert.equal((await authenticate(undefined, assertionBody(rotated))).id, ids.remote);
    assert.equal(fetches, 2);

    // A kid that is nowhere: one refetch, then invalid_client.
    const stranger = createSigningKey(
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      'c-stranger',
    );
    const bad = await keyAssertion(
      ids.remote,
      'ES256',
      'c-stranger',
      { jti: 'r4' },
      new Keystore([stranger]),
    );
    await assert.rejects(authenticate(undefined, assertionBody(bad)), failsWith('invalid_client'));
    assert.equal(fetches, 3);

    // After the cache lifetime the set is fetched again.
    clock.advance(6 * 60_000);
    const later = await keyAssertion(ids.remote, 'ES256', 'c-p256', { jti: 'r5' });
    await authenticate(undefined, assertionBody(later));
    assert.equal(fetches, 4);
  });

  it('private_key_jwt: a jwks_uri that does not answer is invalid_client, not a 500', async () => {
    const assertion = await keyAssertion(ids.slow, 'ES256', 'c-p256');
    await assert.rejects(
      authenticate(undefined, assertionBody(assertion)),
      failsWith('invalid_client', /fetch/),
    );
  });
});
