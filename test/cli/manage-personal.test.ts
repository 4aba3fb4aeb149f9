// `gatehouse manage issue-personal-token`, run in-process against a real migrated SQLite database:
// the token printed alone on standard output, stored only as its SHA-256, owned by and acting as
// the user, with the scope and lifetime asked for; and the operator's mistakes as one-line errors.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { checkToken, tokenHash } from '../../src/crypto/tokens.ts';
import { SeededRng } from '../../src/rng.ts';
import { manageRunner, openManageFixture } from '../helpers/cli.ts';
import { dialects, type TestStorage } from '../helpers/storage.ts';

const clock = new MockClock();

const run = manageRunner(clock, 'personal');

// Every command runs against SQLite and PostgreSQL (a fresh database per test).
for (const dialect of dialects) {
  describe(`manage issue-personal-token (${dialect})`, () => {
    let dir: string;
    let t: TestStorage;
    let config: string;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ dir, t, config, cleanup } = await openManageFixture(dialect));
      await t.storage.transaction((repos) =>
        repos.users.add(new SeededRng('user'), clock, 'alice'),
      );
    });
    afterEach(() => cleanup());

    it('prints a token owned by and acting as the user, with the scope and lifetime asked for', async () => {
      const result = await run(
        [
          '-c',
          config,
          'manage',
          'issue-personal-token',
          'alice',
          '--name',
          'backup bot',
          '--scope',
          'urn:mas:admin urn:matrix:client:api:*',
          '--expires-in',
          '3600',
        ],
        dir,
      );
      assert.equal(result.code, 0, result.err);
      const token = result.out.trim();
      assert.equal(checkToken(token), 'personalAccessToken');
      const stored = await t.storage.transaction(async (repos) => {
        const pat = await repos.personalSessions.findTokenByHash(tokenHash(token));
        assert.ok(pat, 'the token is stored (hashed)');
        return { pat, session: (await repos.personalSessions.lookup(pat.sessionId))! };
      });
      assert.equal(stored.session.humanName, 'backup bot');
      assert.equal(stored.session.scope, 'urn:mas:admin urn:matrix:client:api:*');
      assert.equal(stored.session.owner.userId, stored.session.actorUserId);
      assert.deepEqual(stored.pat.expiresAt, new Date(clock.now().getTime() + 3_600_000));
      assert.match(result.err, /personal access token issued for alice/);

      const forever = await run(
        ['-c', config, 'manage', 'issue-personal-token', 'alice', '--name', 'n'],
        dir,
      );
      assert.equal(forever.code, 0, forever.err);
      assert.match(forever.err, /scope urn:matrix:client:api:\*, never expires/);
    });

    it('refuses an unknown or locked user, a bad scope, name or lifetime', async () => {
      const cases: [string[], RegExp][] = [
        [['bob', '--name', 'n'], /unknown user "bob"/],
        [['alice', '--name', ' '], /the name is empty/],
        [['alice', '--name', 'n', '--scope', 'a  b'], /invalid scope/],
        [['alice', '--name', 'n', '--expires-in', '0'], /--expires-in must be/],
        [['alice', '--name', 'n', '--expires-in', 'soon'], /--expires-in must be/],
      ];
      for (const [args, message] of cases) {
        const result = await run(['-c', config, 'manage', 'issue-personal-token', ...args], dir);
        assert.equal(result.code, 1, args.join(' '));
        assert.match(result.err, message);
        assert.equal(result.out, '');
      }
      await t.storage.transaction(async (repos) => {
        const alice = await repos.users.findByUsername('alice');
        await repos.users.lock(clock, alice!);
      });
      const locked = await run(
        ['-c', config, 'manage', 'issue-personal-token', 'alice', '--name', 'n'],
        dir,
      );
      assert.equal(locked.code, 1);
      assert.match(locked.err, /locked or deactivated/);
      const missing = await run(['-c', config, 'manage', 'issue-personal-token', 'alice'], dir);
      assert.equal(missing.code, 2, 'commander refuses a missing --name');
    });
  });
}
