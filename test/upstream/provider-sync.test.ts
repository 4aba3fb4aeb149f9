// Provider sync: config → database, on SQLite and PostgreSQL. Adds, updates, leaves alone,
// orders, disables, prunes (with links), dry-runs, stores secrets encrypted, reads secret files.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { upstreamOauth2Schema } from '../../src/config/sections/upstream_oauth2.ts';
import {
  asUpstreamOAuthProviderId,
  upstreamSecretContext,
} from '../../src/model/upstream-oauth.ts';
import { SeededRng } from '../../src/rng.ts';
import { ProviderSyncError, syncProviders } from '../../src/upstream/provider-sync.ts';
import { dialects, openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { testEncrypter } from '../oauth2/fixtures.ts';

const GOOGLE = '01HFS6S2SVAR7Y7QYMZJ53ZAGZ';
const GITLAB = '01HFS67GJ145HCM9ZASYS9DC3J';
const encrypter = testEncrypter();

const google = {
  id: GOOGLE,
  human_name: 'Google',
  brand_name: 'google',
  issuer: 'https://accounts.google.com',
  client_id: 'gid',
  client_secret: 'g-secret',
  token_endpoint_auth_method: 'client_secret_post',
  scope: 'openid profile email',
  claims_imports: {
    localpart: { action: 'require', template: "{{ (user.email | split('@'))[0] }}" },
    displayname: { action: 'suggest' },
    email: { action: 'suggest', set_email_verification: 'always' },
  },
  claims_requirements: [{ claim: 'hd', equals: 'example.com', message: 'Company accounts only' }],
  admin_claim: { claim: 'groups', contains: 'admins', revoke: true },
  login_only: true,
};
const gitlab = {
  id: GITLAB.toLowerCase(),
  issuer: 'https://gitlab.com',
  human_name: 'GitLab',
  client_id: 'glid',
  token_endpoint_auth_method: 'none',
};

for (const dialect of dialects) {
  describe(`provider sync (${dialect})`, () => {
    let t: TestStorage;
    let dir: string;
    let clock: MockClock;
    beforeEach(async () => {
      t = await openTestStorage(dialect);
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-provider-sync-'));
      clock = new MockClock('2026-03-01T10:00:00.000Z');
    });
    afterEach(async () => {
      await t.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    const run = (providers: unknown[], options: { prune?: boolean; dryRun?: boolean } = {}) =>
      syncProviders({
        providers: upstreamOauth2Schema.parse({ providers }).providers,
        storage: t.storage,
        clock,
        rng: new SeededRng('sync'),
        encrypter,
        ...options,
      });
    const all = () => t.storage.transaction((repos) => repos.upstreamOAuthProviders.all());

    it('adds providers in list order with every setting, secrets encrypted', async () => {
      const report = await run([google, gitlab]);
      assert.deepEqual(report.added, [GOOGLE, GITLAB]);
      const [first, second] = await all();
      assert.ok(first && second);
      assert.equal(first.id, GOOGLE);
      assert.equal(first.uiOrder, 0);
      assert.equal(second.id, GITLAB);
      assert.equal(second.uiOrder, 1);
      assert.equal(first.humanName, 'Google');
      assert.equal(first.brandName, 'google');
      assert.equal(first.scope, 'openid profile email');
      assert.equal(first.tokenEndpointAuthMethod, 'client_secret_post');
      assert.equal(first.discoveryMode, 'oidc');
      assert.equal(first.pkceMethod, 'auto');
      assert.equal(first.loginOnly, true);
      assert.deepEqual(first.claimsImports, {
        subject: { template: null },
        skipConfirmation: false,
        localpart: {
          action: 'require',
          template: "{{ (user.email | split('@'))[0] }}",
          onConflict: 'fail',
        },
        displayname: { action: 'suggest', template: null },
        email: { action: 'suggest', template: null, setEmailVerification: 'always' },
        accountName: { template: null },
      });
      assert.deepEqual(first.claimsRequirements, [
        { claim: 'hd', contains: null, equals: 'example.com', message: 'Company accounts only' },
      ]);
      assert.deepEqual(first.adminClaim, {
        claim: 'groups',
        contains: 'admins',
        equals: null,
        revoke: true,
      });
      assert.ok(first.encryptedClientSecret);
      assert.notEqual(first.encryptedClientSecret, 'g-secret');
      assert.equal(
        encrypter.decryptString(
          first.encryptedClientSecret,
          upstreamSecretContext(first.id, 'client_secret'),
        ),
        'g-secret',
      );
      assert.equal(second.encryptedClientSecret, null);
      assert.equal(second.claimsImports.email.setEmailVerification, 'import');
    });

    it('leaves unchanged providers alone and updates changed ones, order included', async () => {
      await run([google, gitlab]);
      const again = await run([google, gitlab]);
      assert.deepEqual(again.unchanged, [GOOGLE, GITLAB]);
      assert.deepEqual(again.added, []);
      assert.deepEqual(again.updated, []);

      const swapped = await run([gitlab, { ...google, client_secret: 'rotated' }]);
      assert.deepEqual(swapped.updated, [GITLAB, GOOGLE]);
      const providers = await all();
      assert.deepEqual(
        providers.map((p) => p.id),
        [GITLAB, GOOGLE],
      );
      const g = providers[1]!;
      assert.equal(
        encrypter.decryptString(
          g.encryptedClientSecret!,
          upstreamSecretContext(g.id, 'client_secret'),
        ),
        'rotated',
      );
    });

    it('follows `enabled`, and disables providers no longer configured', async () => {
      await run([google, gitlab]);
      clock.advance(1000);
      const report = await run([{ ...google, enabled: false }]);
      assert.deepEqual(report.updated, [GOOGLE]);
      assert.deepEqual(report.disabled, [GITLAB]);
      let providers = await all();
      assert.ok(providers.every((p) => p.disabledAt !== null));
      // Already disabled: not reported again.
      assert.deepEqual((await run([{ ...google, enabled: false }])).disabled, []);
      const back = await run([google, gitlab]);
      assert.deepEqual(back.updated, [GOOGLE, GITLAB]);
      providers = await all();
      assert.ok(providers.every((p) => p.disabledAt === null));
    });

    it('prunes providers no longer configured, with their links; dry runs write nothing', async () => {
      await run([google, gitlab]);
      const user = await t.storage.transaction((repos) =>
        repos.users.add(new SeededRng('u'), clock, 'alice'),
      );
      assert.ok(user);
      await t.storage.transaction((repos) =>
        repos.upstreamOAuthLinks.add(new SeededRng('l'), clock, {
          providerId: asUpstreamOAuthProviderId(GITLAB),
          subject: 'alice',
          userId: user.id,
        }),
      );
      const dry = await run([google], { prune: true, dryRun: true });
      assert.deepEqual(dry.removed, [GITLAB]);
      assert.equal((await all()).length, 2);

      const dryAdd = await run([google, gitlab, { ...gitlab, id: '01H8PKNWKKRPCBW4YGH1RWV279' }], {
        dryRun: true,
      });
      assert.deepEqual(dryAdd.added, ['01H8PKNWKKRPCBW4YGH1RWV279']);
      assert.equal((await all()).length, 2);

      const pruned = await run([google], { prune: true });
      assert.deepEqual(pruned.removed, [GITLAB]);
      assert.deepEqual(
        (await all()).map((p) => p.id),
        [GOOGLE],
      );
      assert.equal(await t.storage.transaction((repos) => repos.upstreamOAuthLinks.count({})), 0);
    });

    it('reads client_secret_file and the Apple private key file', async () => {
      writeFileSync(join(dir, 'secret'), 'from-file\n');
      writeFileSync(
        join(dir, 'apple.pem'),
        '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n',
      );
      await run([
        {
          ...gitlab,
          token_endpoint_auth_method: 'client_secret_basic',
          client_secret_file: join(dir, 'secret'),
        },
        {
          id: GOOGLE,
          issuer: 'https://appleid.apple.com',
          client_id: 'com.example',
          token_endpoint_auth_method: 'sign_in_with_apple',
          sign_in_with_apple: {
            private_key_file: join(dir, 'apple.pem'),
            team_id: 'TEAM',
            key_id: 'KEY',
          },
        },
      ]);
      const [gl, apple] = await all();
      assert.equal(
        encrypter.decryptString(
          gl!.encryptedClientSecret!,
          upstreamSecretContext(gl!.id, 'client_secret'),
        ),
        'from-file',
      );
      assert.equal(apple!.signInWithApple?.teamId, 'TEAM');
      assert.equal(apple!.signInWithApple?.keyId, 'KEY');
      assert.match(
        encrypter.decryptString(
          apple!.signInWithApple!.encryptedPrivateKey,
          upstreamSecretContext(apple!.id, 'apple_private_key'),
        ),
        /^-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----$/,
      );
    });

    it('a missing secret file changes nothing and names the provider', async () => {
      await assert.rejects(
        run([
          gitlab,
          {
            ...google,
            client_secret: undefined,
            client_secret_file: join(dir, 'missing'),
          },
        ]),
        (error: unknown) =>
          error instanceof ProviderSyncError &&
          error.message.includes(GOOGLE) &&
          error.message.includes('client_secret_file'),
      );
      assert.deepEqual(await all(), []);
    });
  });
}
