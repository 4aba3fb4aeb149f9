// `gatehouse manage register-user` and `manage set-password`, run in-process on a fresh commander
// program against a real migrated database (SQLite, and PostgreSQL for register-user), with bad
// input answered by one line and exit code 1.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { passwordsSchema } from '../../src/config/sections/passwords.ts';
import { loadPasswordManager } from '../../src/crypto/password-manager.ts';
import { SeededRng } from '../../src/rng.ts';
import { manageRunner, openManageFixture, tempDir, writeCliConfig } from '../helpers/cli.ts';
import {
  createEmptyDatabase,
  openStorage,
  type TestStorage,
  dialects,
} from '../helpers/storage.ts';

// One clock for every run, a second apart, so password rows are ordered as they were set.
const clock = new MockClock();
const runManage = manageRunner(clock, 'manage');

// The homeserver every config file here names.
const MATRIX =
  'matrix:\n  homeserver: example.com\n  secret: hs-secret\n  endpoint: http://localhost:8008/\n';

async function activePasswordOk(t: TestStorage, username: string, password: string) {
  const pm = await loadPasswordManager(passwordsSchema.parse({}), { rng: new SeededRng('check') });
  return t.storage.transaction(async (repos) => {
    const user = await repos.users.findByUsername(username);
    assert.ok(user, `user ${username} exists`);
    const row = await repos.userPasswords.active(user);
    assert.ok(row, 'has a password');
    return { user, row, ok: (await pm.verify(row.version, row.hashedPassword, password)).ok };
  });
}

// Every command runs against SQLite and PostgreSQL (a fresh database per test).
for (const dialect of dialects) {
  describe(`manage (${dialect})`, () => {
    let dir: string;
    let t: TestStorage;
    let config: string;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ dir, t, config, cleanup } = await openManageFixture(dialect, MATRIX));
    });
    afterEach(() => cleanup());

    it('registers a user with a password and admin rights', async () => {
      const run = await runManage(
        [
          '-c',
          config,
          'manage',
          'register-user',
          'alice',
          '--password',
          'correct horse battery staple 1987',
          '--admin',
        ],
        dir,
      );
      assert.equal(run.code, 0, run.err);
      assert.match(
        run.out,
        /^registered user alice \([0-9A-Z]{26}\) with admin rights, with a password$/,
      );
      const { user, row, ok } = await activePasswordOk(
        t,
        'alice',
        'correct horse battery staple 1987',
      );
      assert.equal(user.canRequestAdmin, true);
      assert.equal(row.version, 1);
      assert.match(row.hashedPassword, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.equal(ok, true);
    });

    it('registers a user without a password or admin rights', async () => {
      const run = await runManage(['-c', config, 'manage', 'register-user', 'bob'], dir);
      assert.equal(run.code, 0, run.err);
      await t.storage.transaction(async (repos) => {
        const user = await repos.users.findByUsername('bob');
        assert.ok(user);
        assert.equal(user.canRequestAdmin, false);
        assert.equal(await repos.userPasswords.active(user), null);
      });
    });

    it('refuses a taken username and an invalid one with one line', async () => {
      assert.equal(
        (await runManage(['-c', config, 'manage', 'register-user', 'alice'], dir)).code,
        0,
      );
      const taken = await runManage(['-c', config, 'manage', 'register-user', 'alice'], dir);
      assert.deepEqual(taken, {
        code: 1,
        out: '',
        err: 'error: username "alice" is already taken',
      });
      for (const bad of ['Alice', 'al ice', 'alice@x', '', 'a'.repeat(250)]) {
        const run = await runManage(['-c', config, 'manage', 'register-user', bad], dir);
        assert.equal(run.code, 1, bad);
        assert.equal(run.err.split('\n').length, 1, run.err);
        assert.match(run.err, /^error: (invalid username|the username is empty)/);
      }
      // Nothing but alice was created.
      assert.equal(await t.storage.transaction((repos) => repos.users.count({})), 1);
    });

    it('sets a password from the argument and from stdin', async () => {
      const first = 'first quiet lighthouse 4417';
      const second = 'second amber teapot 9042';
      await runManage(['-c', config, 'manage', 'register-user', 'alice', '-p', first], dir);
      const fromArg = await runManage(
        ['-c', config, 'manage', 'set-password', 'alice', second],
        dir,
      );
      assert.deepEqual(fromArg, { code: 0, out: 'password set for alice', err: '' });
      assert.equal((await activePasswordOk(t, 'alice', second)).ok, true);
      assert.equal((await activePasswordOk(t, 'alice', first)).ok, false);

      const fromStdin = await runManage(
        ['-c', config, 'manage', 'set-password', 'alice'],
        dir,
        'third wörd of the purple ocean\n',
      );
      assert.equal(fromStdin.code, 0, fromStdin.err);
      assert.equal((await activePasswordOk(t, 'alice', 'third wörd of the purple ocean')).ok, true);
    });

    it('refuses a weak password unless told to ignore the complexity rule', async () => {
      const weak = await runManage(
        ['-c', config, 'manage', 'register-user', 'alice', '-p', 'password1'],
        dir,
      );
      assert.equal(weak.code, 1);
      assert.match(weak.err, /^error: .*too weak/);
      assert.equal(await t.storage.transaction((repos) => repos.users.count({})), 0);
      const forced = await runManage(
        [
          '-c',
          config,
          'manage',
          'register-user',
          'alice',
          '-p',
          'password1',
          '--ignore-password-complexity',
        ],
        dir,
      );
      assert.equal(forced.code, 0, forced.err);
      const weakSet = await runManage(
        ['-c', config, 'manage', 'set-password', 'alice', 'qwerty'],
        dir,
      );
      assert.equal(weakSet.code, 1);
      assert.match(weakSet.err, /too weak/);
      const forcedSet = await runManage(
        ['-c', config, 'manage', 'set-password', 'alice', 'qwerty', '--ignore-complexity'],
        dir,
      );
      assert.equal(forcedSet.code, 0, forcedSet.err);
    });

    it('promotes, lists and demotes admins', async () => {
      for (const name of ['alice', 'bob', 'carol']) {
        await runManage(['-c', config, 'manage', 'register-user', name], dir);
      }
      const none = await runManage(['-c', config, 'manage', 'list-admin-users'], dir);
      assert.deepEqual(none, {
        code: 0,
        out: '',
        err: 'no user is allowed to request admin scopes',
      });
      for (const name of ['carol', 'alice']) {
        const run = await runManage(['-c', config, 'manage', 'promote-admin', name], dir);
        assert.deepEqual(run, { code: 0, out: `${name} can now request admin scopes`, err: '' });
      }
      const listed = await runManage(['-c', config, 'manage', 'list-admin-users'], dir);
      assert.deepEqual(listed.out.split('\n').sort(), ['alice', 'carol']);
      const demoted = await runManage(['-c', config, 'manage', 'demote-admin', 'carol'], dir);
      assert.equal(demoted.code, 0);
      assert.equal(
        (await runManage(['-c', config, 'manage', 'list-admin-users'], dir)).out,
        'alice',
      );
      const unknown = await runManage(['-c', config, 'manage', 'promote-admin', 'nobody'], dir);
      assert.deepEqual(unknown, { code: 1, out: '', err: 'error: unknown user "nobody"' });
    });

    it('refuses an unknown user and an empty password with one line', async () => {
      const unknown = await runManage(
        ['-c', config, 'manage', 'set-password', 'nobody', 'a strong enough passphrase 2718'],
        dir,
      );
      assert.deepEqual(unknown, { code: 1, out: '', err: 'error: unknown user "nobody"' });
      await runManage(['-c', config, 'manage', 'register-user', 'alice'], dir);
      const empty = await runManage(['-c', config, 'manage', 'set-password', 'alice'], dir, '\n');
      assert.deepEqual(empty, { code: 1, out: '', err: 'error: the password is empty' });
    });

    it('refuses passwords when password authentication is disabled', async () => {
      const disabled = writeCliConfig(dir, t.uri, `${MATRIX}passwords:\n  enabled: false\n`);
      const run = await runManage(
        ['-c', disabled, 'manage', 'register-user', 'carol', '-p', 'x'],
        dir,
      );
      assert.equal(run.code, 1);
      assert.match(run.err, /^error: password authentication is disabled/);
    });
  });
}

describe('manage on a database that is not migrated', () => {
  it('says so in one line', async () => {
    const { dir, cleanup } = tempDir();
    const { uri, remove } = await createEmptyDatabase('sqlite');
    try {
      const run = await runManage(
        ['-c', writeCliConfig(dir, uri, MATRIX), 'manage', 'register-user', 'alice'],
        dir,
      );
      assert.equal(run.code, 1);
      assert.equal(run.err.split('\n').length, 1);
      assert.match(run.err, /pending migration.*run `gatehouse database migrate` first/);
    } finally {
      remove();
      cleanup();
    }
  });
});

describe('manage register-user on PostgreSQL', () => {
  it('registers, then refuses the same username', async () => {
    const { dir, t, config, cleanup } = await openManageFixture('postgres', MATRIX);
    try {
      const run = await runManage(
        [
          '-c',
          config,
          'manage',
          'register-user',
          'alice',
          '-p',
          'ginger walrus quietly 3141',
          '-a',
        ],
        dir,
      );
      assert.equal(run.code, 0, run.err);
      const { user, ok } = await activePasswordOk(t, 'alice', 'ginger walrus quietly 3141');
      assert.equal(user.canRequestAdmin, true);
      assert.equal(ok, true);
      const again = await runManage(['-c', config, 'manage', 'register-user', 'alice'], dir);
      assert.deepEqual(again, {
        code: 1,
        out: '',
        err: 'error: username "alice" is already taken',
      });
      // A second connection sees exactly one user.
      const other = openStorage(t.uri);
      try {
        assert.equal(await other.transaction((repos) => repos.users.count({})), 1);
      } finally {
        await other.close();
      }
    } finally {
      await cleanup();
    }
  });
});
