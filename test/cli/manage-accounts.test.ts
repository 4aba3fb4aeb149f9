// `gatehouse manage add-email`, `verify-email` and `issue-user-registration-token`, run in-process
// against a real migrated SQLite database, with good and bad input.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import type { User } from '../../src/model/user.ts';
import { SeededRng } from '../../src/rng.ts';
import { PROVISION_USER_QUEUE } from '../../src/storage/matrix-jobs.ts';
import { manageRunner, openManageFixture, writeCliConfig } from '../helpers/cli.ts';
import { dialects, type TestStorage } from '../helpers/storage.ts';

const clock = new MockClock('2026-03-01T10:00:00.000Z');

const run = manageRunner(clock, 'accounts');

// Every command runs against SQLite and PostgreSQL (a fresh database per test).
for (const dialect of dialects) {
  describe(`manage account commands (${dialect})`, () => {
    let dir: string;
    let t: TestStorage;
    let config: string;
    let alice: User;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ dir, t, config, cleanup } = await openManageFixture(dialect));
      alice = (await t.storage.transaction((repos) =>
        repos.users.add(new SeededRng('user'), clock, 'alice'),
      ))!;
    });
    afterEach(() => cleanup());

    const emailsOf = (user: User) =>
      t.storage.transaction(async (repos) =>
        (await repos.userEmails.listForUser(user)).map((e) => e.email),
      );

    describe('add-email', () => {
      it('adds a verified address once', async () => {
        const first = await run(
          ['-c', config, 'manage', 'add-email', 'alice', 'Alice@Example.com'],
          dir,
        );
        assert.equal(first.code, 0, first.err);
        assert.match(first.err, /added Alice@Example\.com to "alice"/);
        const again = await run(
          ['-c', config, 'manage', 'add-email', 'alice', 'alice@example.com'],
          dir,
        );
        assert.equal(again.code, 0, again.err);
        assert.match(again.err, /already has/);
        assert.deepEqual(await emailsOf(alice), ['Alice@Example.com']);
      });

      it('queues provisioning on the homeserver when one is configured', async () => {
        writeCliConfig(
          dir,
          t.uri,
          `matrix:\n  homeserver: example.com\n  secret: s\n  endpoint: http://127.0.0.1:9/\n`,
        );
        const result = await run(
          ['-c', config, 'manage', 'add-email', 'alice', 'a@example.com'],
          dir,
        );
        assert.equal(result.code, 0, result.err);
        const claimed = await t.storage.transaction(async (repos) => {
          const worker = await repos.queue.registerWorker(new SeededRng('w'), clock);
          return repos.queue.claim(clock, worker.id, [PROVISION_USER_QUEUE], 10);
        });
        assert.deepEqual(
          claimed.map((job) => job.payload),
          [{ userId: alice.id }],
        );
      });

      it('refuses bad input with one line and exit code 1', async () => {
        for (const [args, message] of [
          [['bob', 'bob@example.com'], /unknown user "bob"/],
          [['alice', 'not-an-email'], /invalid email address "not-an-email"/],
          [['alice', 'a b@example.com'], /invalid email address/],
          [['alice', 'Alice <a@example.com>'], /invalid email address/],
        ] as const) {
          const result = await run(['-c', config, 'manage', 'add-email', ...args], dir);
          assert.equal(result.code, 1, result.err);
          assert.match(result.err, message);
          assert.equal(result.err.split('\n').length, 1, result.err);
        }
        const missing = await run(['-c', config, 'manage', 'add-email', 'alice'], dir);
        assert.equal(missing.code, 2);
        assert.deepEqual(await emailsOf(alice), []);
      });

      it('refuses a deactivated user', async () => {
        await t.storage.transaction((repos) => repos.users.deactivate(clock, alice));
        const result = await run(
          ['-c', config, 'manage', 'add-email', 'alice', 'a@example.com'],
          dir,
        );
        assert.equal(result.code, 1);
        assert.match(result.err, /deactivated/);
      });
    });

    describe('verify-email', () => {
      it('warns that it is deprecated and makes sure the address is there', async () => {
        const result = await run(
          ['-c', config, 'manage', 'verify-email', 'alice', 'a@example.com'],
          dir,
        );
        assert.equal(result.code, 0, result.err);
        assert.match(result.err, /deprecated/);
        assert.deepEqual(await emailsOf(alice), ['a@example.com']);
        const again = await run(
          ['-c', config, 'manage', 'verify-email', 'alice', 'A@example.com'],
          dir,
        );
        assert.equal(again.code, 0, again.err);
        assert.match(again.err, /already verified/);
        assert.deepEqual(await emailsOf(alice), ['a@example.com']);
        const unknown = await run(
          ['-c', config, 'manage', 'verify-email', 'zed', 'z@example.com'],
          dir,
        );
        assert.equal(unknown.code, 1);
        assert.match(unknown.err, /unknown user "zed"/);
      });
    });

    describe('issue-user-registration-token', () => {
      const tokens = () => t.storage.transaction((repos) => repos.registrationTokens.list());

      it('generates a single-use, never-expiring token by default and prints it', async () => {
        const result = await run(['-c', config, 'manage', 'issue-user-registration-token'], dir);
        assert.equal(result.code, 0, result.err);
        const printed = result.out.trim();
        assert.match(printed, /^[A-Za-z0-9]{20}$/);
        const [token] = await tokens();
        assert.equal(token?.token, printed);
        assert.equal(token?.usageLimit, 1);
        assert.equal(token?.expiresAt, null);
      });

      it('takes the token text, a usage limit and a lifetime', async () => {
        const result = await run(
          [
            '-c',
            config,
            'manage',
            'issue-user-registration-token',
            '--token',
            'Welcome-2026',
            '--usage-limit',
            '5',
            '--expires-in',
            '3600',
          ],
          dir,
        );
        assert.equal(result.code, 0, result.err);
        assert.equal(result.out.trim(), 'Welcome-2026');
        const [token] = await tokens();
        assert.equal(token?.usageLimit, 5);
        assert.equal(token!.expiresAt!.getTime() - token!.createdAt.getTime(), 3600_000);
      });

      it('makes an unlimited token with --unlimited', async () => {
        const result = await run(
          [
            '-c',
            config,
            'manage',
            'issue-user-registration-token',
            '--unlimited',
            '--token',
            'open',
          ],
          dir,
        );
        assert.equal(result.code, 0, result.err);
        assert.equal((await tokens())[0]?.usageLimit, null);
      });

      it('refuses bad input with one line and exit code 1', async () => {
        await run(
          ['-c', config, 'manage', 'issue-user-registration-token', '--token', 'taken'],
          dir,
        );
        for (const [args, message] of [
          [['--usage-limit', '0'], /--usage-limit must be at least 1/],
          [['--usage-limit', 'many'], /--usage-limit must be a whole number/],
          [['--usage-limit', '-3'], /--usage-limit must be a whole number/],
          [['--expires-in', '1.5'], /--expires-in must be a whole number/],
          [['--expires-in', '0'], /--expires-in must be at least 1/],
          [['--unlimited', '--usage-limit', '2'], /either --usage-limit or --unlimited/],
          [['--token', 'has space'], /invalid --token/],
          [['--token', ''], /invalid --token/],
          [['--token', 'taken'], /the token "taken" already exists/],
        ] as const) {
          const result = await run(
            ['-c', config, 'manage', 'issue-user-registration-token', ...args],
            dir,
          );
          assert.equal(result.code, 1, `${args.join(' ')}: ${result.err}`);
          assert.match(result.err, message);
          assert.equal(result.err.split('\n').length, 1, result.err);
          assert.equal(result.out, '');
        }
        assert.equal((await tokens()).length, 1);
      });
    });
  });
}
