// On SQLite the introspection cache notices what another process commits to the database file
// (the `manage` CLI locking a user, ending sessions): SQLite's `PRAGMA data_version`, read at a
// lookup at most every EXTERNAL_CHANGE_CHECK_MS, changes after another connection's commit and
// not after this connection's own.
// Two real connections to one real file stand for the server and the CLI.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { databaseSchema } from '../../src/config/sections/database.ts';
import { SeededRng } from '../../src/rng.ts';
import {
  EXTERNAL_CHANGE_CHECK_MS,
  IntrospectionCache,
} from '../../src/services/introspection-cache.ts';
import { SqlStorage } from '../../src/storage/sql/sql-storage.ts';
import { cacheActiveAnswer } from '../helpers/introspection-cache.ts';

describe('introspection cache and other processes (SQLite)', () => {
  let dir: string;
  let server: SqlStorage;
  let cli: SqlStorage;
  const clock = new MockClock();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cache-'));
    const config = databaseSchema.parse({ uri: `sqlite:${join(dir, 'gatehouse.db')}` });
    server = SqlStorage.open(config);
    await server.migrate();
    cli = SqlStorage.open(config);
  });
  afterEach(async () => {
    await cli.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops its entries when another connection commits, not when its own does', async () => {
    const probe = server.connection.externalChangeVersion;
    assert.ok(probe !== null, 'SQLite has a change version');
    const cache = new IntrospectionCache({ clock, ttlMs: 600_000, externalChangeVersion: probe });
    cache.get('k');
    cacheActiveAnswer(cache, 'k', 's1', 'u1');
    assert.ok(cache.get('k') !== undefined);

    // The server's own writes leave the cache alone (it invalidates what it changes itself).
    await server.transaction((repos) => repos.users.add(new SeededRng(1), clock, 'alice'));
    clock.advance(EXTERNAL_CHANGE_CHECK_MS);
    assert.ok(cache.get('k') !== undefined, 'own commit');

    // Another process's write drops everything (the cache cannot know what it changed), at the
    // first lookup once the version is due to be read again.
    await cli.transaction(async (repos) => {
      const alice = await repos.users.findByUsername('alice');
      await repos.users.lock(clock, alice!);
    });
    clock.advance(EXTERNAL_CHANGE_CHECK_MS);
    assert.equal(cache.get('k'), undefined, 'after another connection committed');

    // Entries made afterwards are kept again until the next foreign commit.
    cacheActiveAnswer(cache, 'k', 's1', 'u1');
    clock.advance(EXTERNAL_CHANGE_CHECK_MS);
    assert.ok(cache.get('k') !== undefined);
  });

  it('reads the version at most every EXTERNAL_CHANGE_CHECK_MS', async () => {
    let reads = 0;
    const probe = server.connection.externalChangeVersion!;
    const cache = new IntrospectionCache({
      clock,
      ttlMs: 600_000,
      externalChangeVersion: () => {
        reads += 1;
        return probe();
      },
    });
    for (let i = 0; i < 10; i++) cache.get('k');
    assert.equal(reads, 1);
    clock.advance(EXTERNAL_CHANGE_CHECK_MS);
    cache.get('k');
    assert.equal(reads, 2);
  });
});
