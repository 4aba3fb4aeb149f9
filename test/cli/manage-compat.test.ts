// `gatehouse manage issue-compatibility-token`, run in-process against a real migrated SQLite
// database and a fake homeserver recording the device it is told about.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { checkToken, tokenHash } from '../../src/crypto/tokens.ts';
import { SeededRng } from '../../src/rng.ts';
import { FakeHomeserver } from '../http/compat/compat-kit.ts';
import { manageRunner, openManageFixture } from '../helpers/cli.ts';
import { dialects, type TestStorage } from '../helpers/storage.ts';

const clock = new MockClock();

const run = manageRunner(clock, 'compat');

// Every command runs against SQLite and PostgreSQL (a fresh database per test).
for (const dialect of dialects) {
  describe(`manage issue-compatibility-token (${dialect})`, () => {
    let dir: string;
    let t: TestStorage;
    let hs: FakeHomeserver;
    let config: string;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      hs = await FakeHomeserver.start();
      ({ dir, t, config, cleanup } = await openManageFixture(
        dialect,
        `matrix:\n  homeserver: example.com\n  secret: hs-secret\n  endpoint: ${hs.url}\n`,
      ));
      await t.storage.transaction((repos) =>
        repos.users.add(new SeededRng('user'), clock, 'alice'),
      );
    });
    afterEach(async () => {
      await hs.close();
      await cleanup();
    });

    async function sessionOf(token: string) {
      return t.storage.transaction(async (repos) => {
        const access = await repos.compatAccessTokens.findByHash(tokenHash(token));
        assert.ok(access, 'the token is stored (hashed)');
        return { access, session: (await repos.compatSessions.lookup(access.sessionId))! };
      });
    }

    it('issues a never-expiring token, creating the device on the homeserver', async () => {
      const result = await run(
        ['-c', config, 'manage', 'issue-compatibility-token', 'alice', '--device-id', 'CLIDEVICE1'],
        dir,
      );
      assert.equal(result.code, 0, result.err);
      const token = result.out.trim();
      assert.equal(checkToken(token), 'compatAccessToken');
      const { access, session } = await sessionOf(token);
      assert.equal(access.expiresAt, null);
      assert.equal(session.deviceId, 'CLIDEVICE1');
      assert.equal(session.isSynapseAdmin, false);
      assert.deepEqual(
        hs.callsTo('upsert_device').map((c) => c.body),
        [{ localpart: 'alice', device_id: 'CLIDEVICE1' }],
      );
      assert.match(result.err, /issued for alice on device CLIDEVICE1/);
    });

    it('grants Synapse admin only with the long flag, and replaces a session on the same device', async () => {
      const first = await run(
        ['-c', config, 'manage', 'issue-compatibility-token', 'alice', '--device-id', 'ADMINDEV01'],
        dir,
      );
      const second = await run(
        [
          '-c',
          config,
          'manage',
          'issue-compatibility-token',
          'alice',
          '--device-id',
          'ADMINDEV01',
          '--yes-i-want-to-grant-synapse-admin-privileges',
        ],
        dir,
      );
      assert.equal(second.code, 0, second.err);
      assert.match(second.err, /with Synapse admin privileges; replaced 1 session/);
      const { session } = await sessionOf(second.out.trim());
      assert.equal(session.isSynapseAdmin, true);
      const old = await sessionOf(first.out.trim());
      assert.notEqual(old.access.revokedAt, null);
      assert.notEqual(old.session.finishedAt, null);
    });

    it('makes a device id when none is given', async () => {
      const result = await run(['-c', config, 'manage', 'issue-compatibility-token', 'alice'], dir);
      assert.equal(result.code, 0, result.err);
      const { session } = await sessionOf(result.out.trim());
      assert.match(session.deviceId, /^[A-Z]{10}$/);
    });

    it('fails in one line for an unknown user, a bad device id, or a homeserver in trouble', async () => {
      const unknown = await run(['-c', config, 'manage', 'issue-compatibility-token', 'bob'], dir);
      assert.equal(unknown.code, 1);
      assert.equal(unknown.err, 'error: unknown user "bob"');
      const bad = await run(
        ['-c', config, 'manage', 'issue-compatibility-token', 'alice', '--device-id', 'a b'],
        dir,
      );
      assert.equal(bad.code, 1);
      assert.match(bad.err, /invalid device id/);

      hs.failWith = 500;
      const down = await run(['-c', config, 'manage', 'issue-compatibility-token', 'alice'], dir);
      assert.equal(down.code, 1);
      assert.equal(down.out, '');
      assert.match(down.err, /^error: homeserver upsert_device: .*no token was issued$/);
      const active = await t.storage.transaction(async (repos) => {
        const alice = (await repos.users.findByUsername('alice'))!;
        return repos.compatSessions.listActiveForUser(alice.id);
      });
      assert.deepEqual(active, []);
    });
  });
}
