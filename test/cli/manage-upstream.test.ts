// `gatehouse manage register-user --upstream-provider-mapping`, `list-upstream-links`,
// `add-upstream-link` and `remove-upstream-link`, run in-process against a real migrated database
// (SQLite and PostgreSQL), with good and bad input.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { asUpstreamOAuthProviderId } from '../../src/model/upstream-oauth.ts';
import { manageRunner, openManageFixture } from '../helpers/cli.ts';
import { dialects, type TestStorage } from '../helpers/storage.ts';
import { providerFields } from '../upstream/provider-fixtures.ts';

const clock = new MockClock('2026-03-01T10:00:00.000Z');
const P1 = asUpstreamOAuthProviderId('01H8PKNWKKRPCBW4YGH1RWV279');
const P2 = asUpstreamOAuthProviderId('01HFS67GJ145HCM9ZASYS9DC3J');
const UNKNOWN = '01J00000000000000000000000';

const run = manageRunner(clock, 'upstream');

for (const dialect of dialects) {
  describe(`manage upstream link commands (${dialect})`, () => {
    let dir: string;
    let t: TestStorage;
    let config: string;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ dir, t, config, cleanup } = await openManageFixture(
        dialect,
        'passwords:\n  enabled: false\n',
      ));
      await t.storage.transaction(async (repos) => {
        await repos.upstreamOAuthProviders.upsert(
          clock,
          P1,
          providerFields({ humanName: 'Keycloak' }),
          true,
        );
        await repos.upstreamOAuthProviders.upsert(
          clock,
          P2,
          providerFields({ humanName: null, issuer: 'https://gitlab.com' }),
          true,
        );
      });
    });
    afterEach(() => cleanup());

    const manage = (...args: string[]) => run(['-c', config, 'manage', ...args], dir);
    const linksOf = (username: string) =>
      t.storage.transaction(async (repos) => {
        const user = await repos.users.findByUsername(username);
        return user === null ? [] : repos.upstreamOAuthLinks.listForUser(user.id);
      });

    it('register-user links every mapping, subjects with colons included', async () => {
      const result = await manage(
        'register-user',
        'alice',
        '--upstream-provider-mapping',
        `${P1.toLowerCase()}:alice-sub`,
        '--upstream-provider-mapping',
        `${P2}:urn:gitlab:42`,
      );
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, /registered user alice .*, linked to 2 upstream accounts/);
      const links = await linksOf('alice');
      assert.deepEqual(
        links.map((l) => [l.providerId, l.subject]),
        [
          [P1, 'alice-sub'],
          [P2, 'urn:gitlab:42'],
        ],
      );
    });

    it('register-user refuses bad mappings before creating anyone', async () => {
      for (const [value, message] of [
        ['no-colon', /must be PROVIDER_ID:SUBJECT, not "no-colon"/],
        [`${P1}:`, /must be PROVIDER_ID:SUBJECT/],
        ['not-a-ulid:sub', /the provider ID "not-a-ulid" is not a ULID/],
        [`${UNKNOWN}:sub`, /unknown upstream provider 01J00000000000000000000000/],
      ] as const) {
        const result = await manage('register-user', 'bob', '--upstream-provider-mapping', value);
        assert.equal(result.code, 1, value);
        assert.match(result.err, message);
        assert.equal(
          await t.storage.transaction((repos) => repos.users.findByUsername('bob')),
          null,
        );
      }
    });

    it('register-user rolls back when the subject belongs to someone else', async () => {
      assert.equal(
        (await manage('register-user', 'alice', '--upstream-provider-mapping', `${P1}:shared`))
          .code,
        0,
      );
      const result = await manage(
        'register-user',
        'bob',
        '--upstream-provider-mapping',
        `${P1}:shared`,
      );
      assert.equal(result.code, 1);
      assert.match(
        result.err,
        /subject "shared" of upstream provider .* is already linked to alice/,
      );
      assert.equal(await t.storage.transaction((repos) => repos.users.findByUsername('bob')), null);
    });

    it('lists, adds and removes links', async () => {
      assert.equal((await manage('register-user', 'alice')).code, 0);
      const none = await manage('list-upstream-links', 'alice');
      assert.equal(none.code, 0);
      assert.equal(none.out, '');
      assert.match(none.err, /alice has no upstream links/);

      const added = await manage('add-upstream-link', 'alice', P1, 'alice-sub');
      assert.equal(added.code, 0, added.err);
      assert.match(added.out, /linked alice to subject "alice-sub"/);
      // Linking the same account again is harmless.
      assert.equal((await manage('add-upstream-link', 'alice', P1, 'alice-sub')).code, 0);
      assert.equal((await manage('add-upstream-link', 'alice', P2, 'a2')).code, 0);

      const listed = await manage('list-upstream-links', 'alice');
      const [first, second] = await linksOf('alice');
      assert.ok(first && second);
      assert.equal(
        listed.out,
        [
          `${first.id}  provider ${P1} (Keycloak)  subject "alice-sub"`,
          `${second.id}  provider ${P2} (https://gitlab.com)  subject "a2"`,
        ].join('\n'),
      );

      const removed = await manage('remove-upstream-link', first.id.toLowerCase());
      assert.equal(removed.code, 0, removed.err);
      assert.match(removed.out, new RegExp(`removed upstream link ${first.id}`));
      assert.deepEqual(
        (await linksOf('alice')).map((l) => l.id),
        [second.id],
      );
    });

    it('refuses unknown users, links and malformed ids', async () => {
      const noUser = await manage('list-upstream-links', 'nobody');
      assert.equal(noUser.code, 1);
      assert.match(noUser.err, /unknown user "nobody"/);
      assert.match((await manage('add-upstream-link', 'nobody', P1, 's')).err, /unknown user/);
      assert.equal((await manage('register-user', 'alice')).code, 0);
      assert.match(
        (await manage('add-upstream-link', 'alice', 'bad', 's')).err,
        /the provider ID "bad" is not a ULID/,
      );
      assert.match(
        (await manage('add-upstream-link', 'alice', UNKNOWN, 's')).err,
        /unknown upstream provider/,
      );
      const unknownLink = await manage('remove-upstream-link', UNKNOWN);
      assert.equal(unknownLink.code, 1);
      assert.match(unknownLink.err, /unknown upstream link 01J00000000000000000000000/);
      assert.match(
        (await manage('remove-upstream-link', 'nope')).err,
        /the link ID "nope" is not a ULID/,
      );
    });
  });
}
