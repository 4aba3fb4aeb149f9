// `gatehouse database migrate`, run in-process through the real command line on real databases.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { main } from '../../src/cli/main.ts';
import { MIGRATION_TABLE } from '../../src/storage/sql/migrator.ts';
import { migrations } from '../../src/storage/sql/migrations/index.ts';
import { freePort } from '../helpers/postgres.ts';
import { createEmptyDatabase, openStorage } from '../helpers/storage.ts';

const ENCRYPTION_KEY = '0123456789abcdef'.repeat(4);

interface Run {
  code: number;
  out: string[];
  err: string[];
}

describe('database migrate', () => {
  let dir: string;
  const removals: Array<() => void> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-db-'));
  });
  afterEach(() => {
    for (const remove of removals.splice(0)) remove();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a config file with this `database` section and runs `database migrate` on it. */
  async function migrate(database: Record<string, unknown>): Promise<Run> {
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      JSON.stringify({ database, secrets: { encryption: ENCRYPTION_KEY } }, null, 2),
    );
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['database', 'migrate', '-c', config],
      { env: {}, cwd: dir },
      { out: (s) => out.push(s), err: (s) => err.push(s) },
    );
    return { code, out, err };
  }

  const allApplied = migrations.map((m) => `applied migration ${m.name}`);

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`migrates a new ${dialect} database, then finds it up to date`, async () => {
      const { uri, remove } = await createEmptyDatabase(dialect);
      removals.push(remove);

      const first = await migrate({ uri });
      assert.deepEqual(first, { code: 0, out: allApplied, err: [] });

      const second = await migrate({ uri });
      assert.deepEqual(second, { code: 0, out: ['database is up to date'], err: [] });

      const storage = openStorage(uri);
      try {
        assert.deepEqual(await storage.pendingMigrations(), []);
      } finally {
        await storage.close();
      }
    });
  }

  it('creates the SQLite file and its directory', async () => {
    const run = await migrate({ uri: 'sqlite:data/gatehouse.db' });
    assert.equal(run.code, 0);
    const storage = openStorage(`sqlite:${join(dir, 'data', 'gatehouse.db')}`);
    try {
      assert.deepEqual(await storage.pendingMigrations(), []);
    } finally {
      await storage.close();
    }
  });

  it('fails with one line when the database cannot be reached', async () => {
    const port = await freePort();
    const run = await migrate({
      uri: `postgresql://gatehouse@127.0.0.1:${port}/gatehouse`,
      connect_timeout: 2,
    });
    assert.equal(run.code, 1);
    assert.deepEqual(run.out, []);
    assert.equal(run.err.length, 1);
    assert.match(
      run.err[0]!,
      /^error: cannot migrate the database \(PostgreSQL 127\.0\.0\.1:\d+\/gatehouse\): .*ECONNREFUSED/,
    );
    assert.doesNotMatch(run.err[0]!.trimEnd(), /\n/);
  });

  it('refuses a database migrated by a newer version', async () => {
    const { uri, remove } = await createEmptyDatabase('sqlite');
    removals.push(remove);
    const storage = openStorage(uri);
    try {
      await storage.migrate();
      await sql`insert into ${sql.table(MIGRATION_TABLE)} (name, timestamp) values ('9999_future', '2030-01-01')`.execute(
        storage.connection.db,
      );
    } finally {
      await storage.close();
    }

    const run = await migrate({ uri });
    assert.equal(run.code, 1);
    assert.equal(run.err.length, 1);
    assert.match(
      run.err[0]!,
      /^error: SQLite .*: the database was migrated by a newer version of Gatehouse .*9999_future/,
    );
    assert.doesNotMatch(run.err[0]!.trimEnd(), /\n/);
  });
});
