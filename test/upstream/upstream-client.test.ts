// UpstreamClients against a real oidc-provider on loopback: discovery modes, every token endpoint
// authentication method, PKCE, response modes, userinfo (plain and signed), ID token validation
// failures, and back-channel logout tokens.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { MockClock } from '../../src/clock.ts';
import { secretsSchema } from '../../src/config/sections/secrets.ts';
import { loadSecrets } from '../../src/crypto/secrets-load.ts';
import type { Encrypter } from '../../src/crypto/encrypter.ts';
import type { Keystore } from '../../src/crypto/keystore.ts';
import {
  asUpstreamOAuthProviderId,
  type UpstreamOAuthProvider,
} from '../../src/model/upstream-oauth.ts';
import { SeededRng } from '../../src/rng.ts';
import {
  BackchannelLogoutVerifier,
  LogoutTokenError,
} from '../../src/upstream/backchannel-logout-token.ts';
import { appleClientSecret } from '../../src/upstream/upstream-client-auth.ts';
import { UpstreamClientError, UpstreamClients } from '../../src/upstream/upstream-client.ts';
import { startUpstreamOp, type OpClient, type UpstreamOp } from '../helpers/upstream-op.ts';
import { encryptedClientSecret, providerFields, SUGGESTED_CLAIMS } from './provider-fixtures.ts';

const PROVIDER_ID = '01JZ0000000000000000000001';
const REDIRECT_URI = `http://auth.example.test/upstream/callback/${PROVIDER_ID}`;
const SECRET = 'upstream-client-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

let keystore: Keystore;
let encrypter: Encrypter;

before(async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string;
  ({ keystore, encrypter } = await loadSecrets(
    secretsSchema.parse({
      encryption: '0123456789abcdef'.repeat(4),
      keys: [
        { kid: 'gh-rsa', key: rsa },
        { kid: 'gh-ec', key: ec },
      ],
    }),
  ));
});

function providerFor(
  op: UpstreamOp,
  overrides: Partial<UpstreamOAuthProvider> & { clientSecret?: string | null } = {},
): UpstreamOAuthProvider {
  const { clientSecret = SECRET, ...rest } = overrides;
  const id = asUpstreamOAuthProviderId(PROVIDER_ID);
  return {
    ...providerFields({
      issuer: op.issuer,
      humanName: 'Test OP',
      encryptedClientSecret: encryptedClientSecret(
        encrypter,
        new SeededRng('enc'),
        id,
        clientSecret,
      ),
      tokenEndpointAuthMethod: 'client_secret_basic',
      scope: 'openid profile email',
      claimsImports: {
        ...SUGGESTED_CLAIMS,
        localpart: { action: 'force', template: null, onConflict: 'fail' },
      },
    }),
    id,
    createdAt: new Date(0),
    disabledAt: null,
    ...rest,
  };
}

function opClient(overrides: Partial<OpClient> = {}): OpClient {
  return {
    client_id: 'gatehouse',
    client_secret: SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [REDIRECT_URI],
    response_modes: ['query', 'form_post'],
    ...overrides,
  };
}

/** A clock at the wall time (the provider signs with the wall time). */
function wallClock(): MockClock {
  return new MockClock(new Date(performance.timeOrigin + performance.now()));
}

function clientsWith(clock = wallClock()) {
  return new UpstreamClients({ clock, rng: new SeededRng('upstream'), keystore, encrypter });
}

/** What completing at the client takes: the provider's answer and what the start kept. */
function completion(
  start: Awaited<ReturnType<UpstreamClients['startAuthorization']>>,
  back: Awaited<ReturnType<UpstreamOp['authorize']>>,
) {
  return {
    redirectUri: REDIRECT_URI,
    parameters: back.parameters,
    state: start.state,
    nonce: start.nonce,
    codeVerifier: start.codeVerifier,
  };
}

/** Starts at the provider, signs in, and completes at the client. */
async function signIn(op: UpstreamOp, clients: UpstreamClients, provider: UpstreamOAuthProvider) {
  const start = await clients.startAuthorization(provider, { redirectUri: REDIRECT_URI });
  const back = await op.authorize(start.url);
  const result = await clients.completeAuthorization(provider, completion(start, back));
  return { start, back, result };
}

async function withOp(
  options: Parameters<typeof startUpstreamOp>[0],
  work: (op: UpstreamOp) => Promise<void>,
): Promise<void> {
  const op = await startUpstreamOp(options);
  try {
    await work(op);
  } finally {
    await op.close();
  }
}

async function rejectsWith(promise: Promise<unknown>, kind: string): Promise<UpstreamClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UpstreamClientError, `not an UpstreamClientError: ${String(error)}`);
    assert.equal(error.kind, kind, error.message);
    return error;
  }
  assert.fail(`expected a ${kind} failure`);
}

describe('UpstreamClients', () => {
  it('discovers the provider, sends state, nonce and PKCE (auto), and validates the ID token', async () => {
    await withOp({ clients: [opClient()] }, async (op) => {
      const { start, back, result } = await signIn(op, clientsWith(), providerFor(op));
      const url = new URL(start.url);
      assert.equal(url.origin + url.pathname, `${op.issuer}/auth`);
      assert.equal(url.searchParams.get('state'), start.state);
      assert.equal(url.searchParams.get('nonce'), start.nonce);
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      assert.ok(start.codeVerifier !== null);
      assert.equal(url.searchParams.get('response_mode'), null);
      assert.equal(back.method, 'GET');
      assert.equal(result.idTokenClaims?.sub, 'alice');
      assert.equal(result.idTokenClaims?.nonce, start.nonce);
      assert.equal(result.claims.preferred_username, 'alice');
      assert.equal(result.claims.email, 'alice@upstream.test');
      assert.ok(result.idToken !== null && result.idToken.split('.').length === 3);
      assert.equal(result.userinfo, null);
    });
  });

  for (const method of [
    'client_secret_post',
    'client_secret_jwt',
    'private_key_jwt',
    'none',
  ] as const) {
    it(`authenticates at the token endpoint with ${method}`, async () => {
      const alg =
        method === 'client_secret_jwt' ? 'HS256' : method === 'private_key_jwt' ? 'ES256' : null;
      const client = opClient({
        token_endpoint_auth_method: method,
        ...(alg === null ? {} : { token_endpoint_auth_signing_alg: alg }),
        ...(method === 'private_key_jwt'
          ? { jwks: keystore.publicJwks(), client_secret: undefined }
          : {}),
        ...(method === 'none' ? { client_secret: undefined } : {}),
      });
      await withOp({ clients: [client] }, async (op) => {
        const provider = providerFor(op, {
          tokenEndpointAuthMethod: method,
          tokenEndpointSigningAlg: alg,
          clientSecret:
            method === 'client_secret_post' || method === 'client_secret_jwt' ? SECRET : null,
        });
        const { result } = await signIn(op, clientsWith(), provider);
        assert.equal(result.idTokenClaims?.sub, 'alice');
        assert.ok(op.requests.includes('POST /token'));
      });
    });
  }

  it('refuses a wrong client secret at the token endpoint', async () => {
    await withOp({ clients: [opClient()] }, async (op) => {
      const provider = providerFor(op, { clientSecret: 'not-the-secret' });
      const clients = clientsWith();
      const start = await clients.startAuthorization(provider, { redirectUri: REDIRECT_URI });
      const back = await op.authorize(start.url);
      const error = await rejectsWith(
        clients.completeAuthorization(provider, completion(start, back)),
        'token_endpoint',
      );
      assert.equal(error.providerError, 'invalid_client');
    });
  });

  it('uses form_post when configured', async () => {
    await withOp({ clients: [opClient()] }, async (op) => {
      const { start, back, result } = await signIn(
        op,
        clientsWith(),
        providerFor(op, { responseMode: 'form_post' }),
      );
      assert.equal(new URL(start.url).searchParams.get('response_mode'), 'form_post');
      assert.equal(back.method, 'POST');
      assert.equal(back.url, REDIRECT_URI);
      assert.equal(result.idTokenClaims?.sub, 'alice');
    });
  });

  it('sends PKCE with `always` and never with `never`', async () => {
    await withOp({ clients: [opClient()], pkceRequired: false }, async (op) => {
      const always = await signIn(op, clientsWith(), providerFor(op, { pkceMethod: 'always' }));
      assert.ok(new URL(always.start.url).searchParams.has('code_challenge'));
      const never = await signIn(op, clientsWith(), providerFor(op, { pkceMethod: 'never' }));
      assert.equal(never.start.codeVerifier, null);
      assert.ok(!new URL(never.start.url).searchParams.has('code_challenge'));
      assert.equal(never.result.idTokenClaims?.sub, 'alice');
    });
  });

  it('adds extra parameters and forwards login_hint, but never lets them replace its own', async () => {
    await withOp({ clients: [opClient()] }, async (op) => {
      const clients = clientsWith();
      const start = await clients.startAuthorization(providerFor(op, { forwardLoginHint: true }), {
        redirectUri: REDIRECT_URI,
        extraParameters: { extra_param: 'yes', state: 'evil', empty: '' },
        loginHint: 'alice',
      });
      const url = new URL(start.url);
      assert.equal(url.searchParams.get('extra_param'), 'yes');
      assert.equal(url.searchParams.get('login_hint'), 'alice');
      assert.equal(url.searchParams.get('state'), start.state);
      assert.ok(!url.searchParams.has('empty'));
      await op.authorize(start.url);
      assert.equal(op.lastAuthorization?.extra_param, 'yes');
      assert.equal(op.lastAuthorization?.login_hint, 'alice');
    });
  });

  it('reads claims from userinfo, plain and signed', async () => {
    const signed = opClient({ userinfo_signed_response_alg: 'RS256' });
    await withOp({ clients: [signed], conformIdTokenClaims: true }, async (op) => {
      const provider = providerFor(op, { fetchUserinfo: true, userinfoSignedResponseAlg: 'RS256' });
      const { result } = await signIn(op, clientsWith(), provider);
      assert.equal(result.idTokenClaims?.email, undefined);
      assert.equal(result.userinfo?.email, 'alice@upstream.test');
      assert.equal(result.claims.preferred_username, 'alice');
    });
    await withOp({ clients: [opClient()], conformIdTokenClaims: true }, async (op) => {
      const { result } = await signIn(op, clientsWith(), providerFor(op, { fetchUserinfo: true }));
      assert.equal(result.idTokenClaims?.name, undefined);
      assert.equal(result.userinfo?.name, 'Alice Liddell');
      assert.equal(result.claims.email_verified, true);
      // Expecting a signed answer, a plain JSON one is refused.
      await rejectsWith(
        signIn(
          op,
          clientsWith(),
          providerFor(op, { fetchUserinfo: true, userinfoSignedResponseAlg: 'RS256' }),
        ),
        'userinfo',
      );
    });
  });

  it('refuses a signed userinfo whose signature does not verify', async () => {
    const signed = opClient({ userinfo_signed_response_alg: 'RS256' });
    await withOp({ clients: [signed] }, async (op) => {
      const clients = clientsWith();
      const provider = providerFor(op, { fetchUserinfo: true, userinfoSignedResponseAlg: 'RS256' });
      const start = await clients.startAuthorization(provider, { redirectUri: REDIRECT_URI });
      const back = await op.authorize(start.url);
      op.serveWrongKeys(true);
      await rejectsWith(
        clients.completeAuthorization(provider, completion(start, back)),
        'invalid_response',
      );
    });
  });

  it('discovery: `oidc` refuses an issuer mismatch that `insecure` accepts; `disabled` uses the overrides', async () => {
    await withOp({ clients: [opClient()] }, async (op) => {
      const other = op.issuer.replace('127.0.0.1', 'localhost');
      await rejectsWith(
        clientsWith().startAuthorization(providerFor(op, { issuer: other }), {
          redirectUri: REDIRECT_URI,
        }),
        'discovery',
      );
      const insecure = await signIn(
        op,
        clientsWith(),
        providerFor(op, { issuer: other, discoveryMode: 'insecure' }),
      );
      assert.equal(insecure.result.idTokenClaims?.iss, op.issuer);

      const disabled = providerFor(op, {
        discoveryMode: 'disabled',
        authorizationEndpointOverride: `${op.issuer}/auth`,
        tokenEndpointOverride: `${op.issuer}/token`,
        jwksUriOverride: `${op.issuer}/jwks`,
      });
      const clients = clientsWith();
      const { start, result } = await signIn(op, clients, disabled);
      assert.equal(start.codeVerifier, null, 'auto PKCE is off without discovery');
      assert.equal(result.idTokenClaims?.sub, 'alice');
      assert.ok(!op.requests.slice(-5).includes('GET /.well-known/openid-configuration'));
    });
  });

  it('discovery: an unreachable provider and a missing endpoint are reported, and not cached', async () => {
    await withOp({ clients: [opClient()] }, async (op) => {
      await rejectsWith(
        clientsWith().startAuthorization(providerFor(op, { issuer: 'http://127.0.0.1:9/' }), {
          redirectUri: REDIRECT_URI,
        }),
        'unreachable',
      );
      await rejectsWith(
        clientsWith().startAuthorization(
          providerFor(op, {
            discoveryMode: 'disabled',
            tokenEndpointOverride: `${op.issuer}/token`,
          }),
          { redirectUri: REDIRECT_URI },
        ),
        'configuration',
      );
    });
  });

  it('refuses plain http on a host that is not loopback unless discovery is insecure', async () => {
    await withOp({ clients: [opClient()] }, async (op) => {
      const provider = providerFor(op, {
        discoveryMode: 'disabled',
        issuer: 'http://idp.example.com',
        authorizationEndpointOverride: 'http://idp.example.com/auth',
        tokenEndpointOverride: 'http://idp.example.com/token',
        jwksUriOverride: 'http://idp.example.com/jwks',
      });
      await rejectsWith(
        clientsWith().startAuthorization(provider, { redirectUri: REDIRECT_URI }),
        'configuration',
      );
    });
  });

  it('caches metadata per provider and fetches it again after an hour', async () => {
    await withOp({ clients: [opClient()] }, async (op) => {
      const clock = wallClock();
      const clients = clientsWith(clock);
      const provider = providerFor(op);
      const discoveries = () =>
        op.requests.filter((r) => r === 'GET /.well-known/openid-configuration').length;
      await clients.metadata(provider);
      await clients.metadata(provider);
      assert.equal(discoveries(), 1);
      clock.advance(61 * 60 * 1000);
      await clients.metadata(provider);
      assert.equal(discoveries(), 2);
      clients.forget(provider.id);
      await clients.metadata(provider);
      assert.equal(discoveries(), 3);
    });
  });

  describe('refuses a bad answer', () => {
    it('an ID token whose signature does not verify', async () => {
      await withOp({ clients: [opClient()] }, async (op) => {
        op.serveWrongKeys(true);
        await rejectsWith(signIn(op, clientsWith(), providerFor(op)), 'invalid_response');
      });
    });

    it('an ID token with another nonce', async () => {
      await withOp({ clients: [opClient()] }, async (op) => {
        op.tamperNonce(true);
        await rejectsWith(signIn(op, clientsWith(), providerFor(op)), 'invalid_response');
      });
    });

    it('an ID token from another issuer', async () => {
      await withOp({ clients: [opClient()] }, async (op) => {
        const provider = providerFor(op, {
          discoveryMode: 'disabled',
          issuer: 'http://127.0.0.1:1/other',
          authorizationEndpointOverride: `${op.issuer}/auth`,
          tokenEndpointOverride: `${op.issuer}/token`,
          jwksUriOverride: `${op.issuer}/jwks`,
        });
        await rejectsWith(signIn(op, clientsWith(), provider), 'invalid_response');
      });
    });

    it('an ID token signed with another algorithm than configured', async () => {
      await withOp(
        { clients: [opClient({ id_token_signed_response_alg: 'ES256' })] },
        async (op) => {
          await rejectsWith(signIn(op, clientsWith(), providerFor(op)), 'invalid_response');
          const { result } = await signIn(
            op,
            clientsWith(),
            providerFor(op, { idTokenSignedResponseAlg: 'ES256' }),
          );
          assert.equal(result.idTokenClaims?.sub, 'alice');
        },
      );
    });

    it('an expired ID token (our clock is later than its exp)', async () => {
      await withOp({ clients: [opClient()] }, async (op) => {
        const clock = wallClock();
        const clients = clientsWith(clock);
        const provider = providerFor(op);
        const start = await clients.startAuthorization(provider, { redirectUri: REDIRECT_URI });
        const back = await op.authorize(start.url);
        clock.advance(2 * 24 * 3600 * 1000);
        clients.forget(provider.id);
        await rejectsWith(
          clients.completeAuthorization(provider, completion(start, back)),
          'invalid_response',
        );
      });
    });

    it('a state that does not match, and a code used twice', async () => {
      await withOp({ clients: [opClient()] }, async (op) => {
        const clients = clientsWith();
        const provider = providerFor(op);
        const start = await clients.startAuthorization(provider, { redirectUri: REDIRECT_URI });
        const back = await op.authorize(start.url);
        const input = completion(start, back);
        await rejectsWith(
          clients.completeAuthorization(provider, { ...input, state: 'other' }),
          'invalid_response',
        );
        await clients.completeAuthorization(provider, input);
        const replay = await rejectsWith(
          clients.completeAuthorization(provider, input),
          'token_endpoint',
        );
        assert.equal(replay.providerError, 'invalid_grant');
      });
    });

    it('an error from the provider', async () => {
      await withOp({ clients: [opClient()] }, async (op) => {
        op.refuseNext('access_denied', 'No thanks.');
        const error = await rejectsWith(
          signIn(op, clientsWith(), providerFor(op)),
          'provider_error',
        );
        assert.equal(error.providerError, 'access_denied');
        assert.equal(error.providerErrorDescription, 'No thanks.');
        assert.ok(!error.userMessage.includes('No thanks'));
      });
    });
  });

  describe('back-channel logout tokens', () => {
    it('accepts the provider’s token and names its subject and session', async () => {
      await withOp({ clients: [opClient()] }, async (op) => {
        const clock = wallClock();
        const verifier = new BackchannelLogoutVerifier(clientsWith(clock), clock);
        const token = await op.logoutToken('gatehouse', 'alice', 'session-1');
        const claims = await verifier.verify(providerFor(op), token);
        assert.equal(claims.sub, 'alice');
        assert.equal(claims.sid, 'session-1');
      });
    });

    it('refuses a token for another client, an old one, and one signed with an unknown key', async () => {
      const other = opClient({ client_id: 'someone-else' });
      await withOp({ clients: [opClient(), other] }, async (op) => {
        const clock = wallClock();
        const verifier = new BackchannelLogoutVerifier(clientsWith(clock), clock);
        const provider = providerFor(op);
        const foreign = await op.logoutToken('someone-else', 'alice');
        await assert.rejects(verifier.verify(provider, foreign), LogoutTokenError);
        const token = await op.logoutToken('gatehouse', 'alice');
        clock.advance(3600 * 1000);
        await assert.rejects(verifier.verify(provider, token), LogoutTokenError);
        clock.advance(-3600 * 1000);
        await assert.rejects(
          verifier.verify(provider, `${token.slice(0, -4)}AAAA`),
          LogoutTokenError,
        );
        await assert.rejects(verifier.verify(provider, 'not-a-jwt'), LogoutTokenError);
      });
    });
  });

  it('makes the Sign in with Apple client secret from the Apple key', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const clock = new MockClock('2026-03-01T00:00:00Z');
    const secret = await appleClientSecret({ clock }, 'com.example.app', {
      privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      teamId: 'TEAM123456',
      keyId: 'KEY1234567',
    });
    assert.equal(decodeProtectedHeader(secret).kid, 'KEY1234567');
    const { payload } = await jwtVerify(
      secret,
      await importJWK({ ...key.publicKey.export({ format: 'jwk' }), alg: 'ES256' }),
      {
        issuer: 'TEAM123456',
        subject: 'com.example.app',
        audience: 'https://appleid.apple.com',
        currentDate: clock.now(),
      },
    );
    assert.equal(payload.iat, Math.floor(clock.now().getTime() / 1000));
  });
});
