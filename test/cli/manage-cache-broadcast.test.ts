// After a `manage` command on PostgreSQL, running servers drop their cached introspection answers:
// the CLI sends "forget everything" on the revocation channel (pg_notify), and a cache subscribed
// to it as `gatehouse server` subscribes (a real LISTEN connection) empties itself. A command
// that fails sends nothing, nor does one that only reads or only adds.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { SeededRng } from '../../src/rng.ts';
import { COMMANDS_KEEPING_CACHES } from '../../src/cli/manage-cache-broadcast.ts';
import { registerManageCommands } from '../../src/cli/manage.ts';
import { Command } from 'commander';
import { IntrospectionCache } from '../../src/services/introspection-cache.ts';
import { postgresRevocationChannel } from '../../src/services/revocation-channel.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { manageRunner, openManageFixture, type ManageFixture } from '../helpers/cli.ts';
import { cacheActiveAnswer } from '../helpers/introspection-cache.ts';

const clock = new MockClock();
const run = manageRunner(clock, 'cache-broadcast');

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (!check()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A started cache on the test database's revocation channel, as `gatehouse server` has one. */
async function listeningCache(f: ManageFixture, nodeId: string): Promise<IntrospectionCache> {
  const cache = new IntrospectionCache({
    clock,
    ttlMs: 600_000,
    channel: postgresRevocationChannel(
      f.t.storage.connection.pool!,
      createLogger({ level: 'silent' }),
    ),
    nodeId,
  });
  await cache.start();
  return cache;
}

describe('manage commands and the servers’ introspection caches (postgres)', () => {
  let f: ManageFixture;
  let cache: IntrospectionCache;

  beforeEach(async () => {
    f = await openManageFixture('postgres');
    // The server's side: a cache listening on the test database, as `gatehouse server` does.
    cache = await listeningCache(f, 'server-node');
    await f.t.storage.transaction((repos) => repos.users.add(new SeededRng(1), clock, 'alice'));
  });
  afterEach(async () => {
    await cache.stop();
    await f.cleanup();
  });

  it('lock-user makes every running server forget its cached answers', async () => {
    cacheActiveAnswer(cache, 'k', 's1', 'u1');
    assert.equal(cache.size, 1);
    const locked = await run(['-c', f.config, 'manage', 'lock-user', 'alice'], f.dir);
    assert.equal(locked.code, 0, locked.err);
    await eventually(() => cache.size === 0, 'the cache to be emptied');
    // An answer read before the lock and put back late is refused for the TTL.
    cacheActiveAnswer(cache, 'k', 's1', 'u1');
    assert.equal(cache.size, 0);
  });

  it('a command that fails tells nobody anything', async () => {
    cacheActiveAnswer(cache, 'k', 's1', 'u1');
    const failed = await run(['-c', f.config, 'manage', 'lock-user', 'nobody'], f.dir);
    assert.notEqual(failed.code, 0);
    // A broadcast would arrive within milliseconds; give it ample time, then check.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(cache.size, 1);
  });

  it('commands that only read or only add leave the caches alone', async () => {
    cacheActiveAnswer(cache, 'k', 's1', 'u1');
    cacheActiveAnswer(cache, 'marker', 's-marker', 'u2');
    for (const argv of [
      ['list-admin-users'],
      ['register-user', 'carol', '--yes', '--no-admin'],
      ['add-email', 'alice', 'alice@example.com'],
    ]) {
      const ran = await run(['-c', f.config, 'manage', ...argv], f.dir);
      assert.equal(ran.code, 0, `${argv.join(' ')}: ${ran.err}`);
    }
    // Notifications arrive in commit order: once another node's invalidation sent after those
    // commands has arrived, a broadcast from them would have arrived too (and emptied the cache).
    const otherNode = await listeningCache(f, 'other-node');
    try {
      await otherNode.invalidate({ session: 's-marker' });
      await eventually(() => cache.get('marker') === undefined, 'the marker invalidation');
      assert.notEqual(cache.get('k'), undefined);
    } finally {
      await otherNode.stop();
    }
  });
});

describe('the commands kept out of the broadcast', () => {
  it('are all real manage commands', () => {
    const program = new Command();
    registerManageCommands(program, {} as never);
    const manage = program.commands.find((c) => c.name() === 'manage')!;
    const names = new Set(manage.commands.map((c) => c.name()));
    for (const name of COMMANDS_KEEPING_CACHES) assert.ok(names.has(name), name);
    // The ones that can end or change a token are not among them.
    for (const name of ['kill-sessions', 'lock-user', 'issue-compatibility-token']) {
      assert.ok(names.has(name) && !COMMANDS_KEEPING_CACHES.has(name), name);
    }
  });
});
