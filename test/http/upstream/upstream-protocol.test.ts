// The protocol options of a provider through the whole sign-in: every token endpoint
// authentication method, PKCE `always` and `never`, the discovery modes, userinfo (plain and
// signed), and the additional authorization parameters.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpstreamClaimsImports } from '../../../src/model/upstream-oauth.ts';
import { SKIP_CONFIRMATION } from '../../upstream/provider-fixtures.ts';
import {
  Browser,
  counts,
  opClient,
  saveProvider,
  SECRET,
  startUpstreamTest,
  type ProviderOverrides,
  type UpstreamTest,
} from './upstream-kit.ts';
import type { UpstreamOpOptions } from '../../helpers/upstream-op.ts';

const SKIP: UpstreamClaimsImports = {
  ...SKIP_CONFIRMATION,
  email: { action: 'force', template: null, setEmailVerification: 'import' },
};

/** Signs in once with skip_confirmation and checks the account was made. */
async function signsIn(
  op: Partial<UpstreamOpOptions>,
  provider: ProviderOverrides,
  check: (t: UpstreamTest) => Promise<void> = async () => {},
): Promise<void> {
  const t = await startUpstreamTest({ op, provider: { claimsImports: SKIP, ...provider } });
  try {
    const browser = new Browser(t.h, t.op);
    const page = await browser.signIn();
    assert.equal(page.statusCode, 200, page.body.slice(0, 600));
    assert.equal(browser.visited.at(-1), 'GET /account');
    assert.deepEqual(await counts(t.h), { users: 1, links: 1, linkedLinks: 1 });
    const emails = await t.h.db.storage.transaction(async (repos) =>
      (await repos.userEmails.listForUser((await repos.users.findByUsername('alice'))!)).map(
        (row) => row.email,
      ),
    );
    assert.deepEqual(emails, ['alice@upstream.test']);
    await check(t);
  } finally {
    await t.close();
  }
}

describe('upstream provider options through the sign-in', () => {
  it('client_secret_basic (with PKCE from discovery)', async () => {
    await signsIn({}, {}, async (t) => {
      assert.equal(t.op.lastAuthorization?.code_challenge_method, 'S256');
    });
  });

  it('client_secret_post', async () => {
    await signsIn(
      { clients: [opClient({ token_endpoint_auth_method: 'client_secret_post' })] },
      { tokenEndpointAuthMethod: 'client_secret_post' },
    );
  });

  it('client_secret_jwt', async () => {
    await signsIn(
      {
        clients: [
          opClient({
            token_endpoint_auth_method: 'client_secret_jwt',
            token_endpoint_auth_signing_alg: 'HS256',
          }),
        ],
      },
      { tokenEndpointAuthMethod: 'client_secret_jwt', tokenEndpointSigningAlg: 'HS256' },
    );
  });

  it('private_key_jwt, signed with Gatehouse’s own key', async () => {
    // The provider must know Gatehouse's public keys: start Gatehouse first, then register them.
    const t = await startUpstreamTest({ provider: { claimsImports: SKIP } });
    const jwks = t.h.ctx.keystore.publicJwks();
    await t.close();
    await signsIn(
      {
        clients: [
          opClient({
            token_endpoint_auth_method: 'private_key_jwt',
            token_endpoint_auth_signing_alg: 'RS256',
            jwks,
            client_secret: undefined,
          }),
        ],
      },
      {
        tokenEndpointAuthMethod: 'private_key_jwt',
        tokenEndpointSigningAlg: 'RS256',
        clientSecret: null,
      },
    );
  });

  it('none (a public client, PKCE required by the provider)', async () => {
    await signsIn(
      { clients: [opClient({ token_endpoint_auth_method: 'none', client_secret: undefined })] },
      { tokenEndpointAuthMethod: 'none', clientSecret: null },
      async (t) => {
        assert.ok(t.op.lastAuthorization?.code_challenge !== undefined);
      },
    );
  });

  it('PKCE always and never', async () => {
    await signsIn({ pkceRequired: true }, { pkceMethod: 'always' });
    await signsIn({ pkceRequired: false }, { pkceMethod: 'never' }, async (t) => {
      assert.equal(t.op.lastAuthorization?.code_challenge, undefined);
    });
  });

  it('discovery: insecure', async () => {
    await signsIn({}, { discoveryMode: 'insecure' });
  });

  it('discovery: disabled, every endpoint from the configuration', async () => {
    const t = await startUpstreamTest();
    try {
      await saveProvider(t.h, t.op, {
        claimsImports: SKIP,
        discoveryMode: 'disabled',
        authorizationEndpointOverride: `${t.op.issuer}/auth`,
        tokenEndpointOverride: `${t.op.issuer}/token`,
        jwksUriOverride: `${t.op.issuer}/jwks`,
      });
      const browser = new Browser(t.h, t.op);
      await browser.signIn();
      assert.equal(browser.visited.at(-1), 'GET /account');
      assert.ok(!t.op.requests.includes('GET /.well-known/openid-configuration'));
      // `auto` PKCE needs discovery: none without it.
      assert.equal(t.op.lastAuthorization?.code_challenge, undefined);
    } finally {
      await t.close();
    }
  });

  it('userinfo: claims only the userinfo endpoint has', async () => {
    await signsIn({ conformIdTokenClaims: true }, { fetchUserinfo: true }, async (t) => {
      assert.ok(t.op.requests.includes('GET /me'));
    });
  });

  it('signed userinfo', async () => {
    await signsIn(
      {
        conformIdTokenClaims: true,
        clients: [opClient({ userinfo_signed_response_alg: 'RS256' })],
      },
      { fetchUserinfo: true, userinfoSignedResponseAlg: 'RS256' },
    );
  });

  it('additional authorization parameters and login_hint from the downstream request', async () => {
    await signsIn(
      {},
      {
        additionalAuthorizationParameters: {
          extra_param: '{{ params.ui_locales }}-{{ logged_out }}',
          acr_hint: '{{ params.missing }}',
        },
        forwardLoginHint: true,
      },
    );
    const t = await startUpstreamTest({
      provider: {
        additionalAuthorizationParameters: {
          extra_param: '{{ params.ui_locales }}-{{ logged_out }}',
        },
        forwardLoginHint: true,
      },
    });
    try {
      const next = '/authorize?client_id=x&ui_locales=fr&login_hint=alice';
      await new Browser(t.h, t.op).signIn(`?${new URLSearchParams({ next })}`);
      assert.equal(t.op.lastAuthorization?.extra_param, 'fr-true');
      assert.equal(t.op.lastAuthorization?.login_hint, 'alice');
      assert.equal(t.op.lastAuthorization?.acr_hint, undefined);
      const session = await t.h.db.storage.transaction(async (repos) =>
        repos.upstreamOAuthSessions.findByState(String(t.op.lastAuthorization?.state)),
      );
      assert.equal(session?.postAuthAction, next);
    } finally {
      await t.close();
    }
  });

  it('a wrong client secret is a clear page', async () => {
    const t = await startUpstreamTest({ provider: { clientSecret: `${SECRET}-wrong` } });
    try {
      const page = await new Browser(t.h, t.op).signIn();
      assert.equal(page.statusCode, 502);
      assert.match(page.body, /refused to complete the sign-in/);
      assert.equal((await counts(t.h)).users, 0);
    } finally {
      await t.close();
    }
  });
});
