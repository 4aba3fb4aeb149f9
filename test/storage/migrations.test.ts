// The migrator on both dialects: from an empty database up to the latest schema, idempotent, and
// refusing a database that a newer Gatehouse has migrated.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { MigrationError, MIGRATION_TABLE } from '../../src/storage/sql/migrator.ts';
import { migrations } from '../../src/storage/sql/migrations/index.ts';
import type { SqlStorage } from '../../src/storage/sql/sql-storage.ts';
import { createEmptyDatabase, dialects, openStorage } from '../helpers/storage.ts';

const allNames = migrations.map((m) => m.name);
const expectedTables = [
  MIGRATION_TABLE,
  'users',
  'user_passwords',
  'user_sessions',
  'queue_jobs',
  'queue_workers',
  'queue_leader',
  'queue_schedules',
  'user_session_authentications',
  'oauth2_clients',
  'oauth2_sessions',
  'oauth2_access_tokens',
  'oauth2_refresh_tokens',
  'oauth2_authorization_grants',
  'oauth2_device_code_grants',
  'oauth2_consents',
  'oauth2_client_assertion_jtis',
];

async function tableNames(storage: SqlStorage): Promise<string[]> {
  return (await storage.connection.db.introspection.getTables()).map((t) => t.name).sort();
}

for (const dialect of dialects) {
  describe(`migrations on ${dialect}`, () => {
    let uri: string;
    let remove: () => void;
    let storage: SqlStorage;

    beforeEach(async () => {
      ({ uri, remove } = await createEmptyDatabase(dialect));
      storage = openStorage(uri);
    });
    afterEach(async () => {
      await storage.close();
      remove();
    });

    it('lists every migration as pending on an empty database', async () => {
      assert.deepEqual(await storage.pendingMigrations(), allNames);
      // Asking does not create anything.
      assert.deepEqual(await tableNames(storage), []);
    });

    it('migrates an empty database to the latest schema', async () => {
      assert.deepEqual(await storage.migrate(), allNames);
      const tables = await tableNames(storage);
      for (const table of expectedTables)
        assert.ok(tables.includes(table), `table ${table} is missing`);
      assert.deepEqual(await storage.pendingMigrations(), []);
    });

    it('does nothing when run again, also from a new connection', async () => {
      await storage.migrate();
      const tables = await tableNames(storage);
      assert.deepEqual(await storage.migrate(), []);

      const again = openStorage(uri);
      try {
        assert.deepEqual(await again.migrate(), []);
        assert.deepEqual(await again.pendingMigrations(), []);
        assert.deepEqual(await tableNames(again), tables);
      } finally {
        await again.close();
      }
      const recorded = await sql<{
        n: number | string;
      }>`select count(*) as n from ${sql.table(MIGRATION_TABLE)}`.execute(storage.connection.db);
      assert.equal(Number(recorded.rows[0]!.n), allNames.length);
    });

    it('lists a migration the database has not applied as pending', async () => {
      await storage.migrate();
      const last = allNames.at(-1)!;
      await sql`delete from ${sql.table(MIGRATION_TABLE)} where name = ${last}`.execute(
        storage.connection.db,
      );
      assert.deepEqual(await storage.pendingMigrations(), [last]);
    });

    it('applies pending migrations all or nothing: a failing one leaves no table behind', async () => {
      // A table in the way of a later migration makes it fail after the earlier ones ran.
      await sql`create table oauth2_clients (id text primary key)`.execute(storage.connection.db);
      await assert.rejects(storage.migrate());
      // Only the migrator's own bookkeeping tables (made before it starts), with nothing recorded.
      assert.deepEqual(
        (await tableNames(storage)).filter((name) => !name.startsWith(MIGRATION_TABLE)),
        ['oauth2_clients'],
      );
      assert.deepEqual(await storage.pendingMigrations(), allNames);
      await sql`drop table oauth2_clients`.execute(storage.connection.db);
      assert.deepEqual(await storage.migrate(), allNames);
    });

    it('refuses a database migrated by a newer version', async () => {
      await storage.migrate();
      await sql`insert into ${sql.table(MIGRATION_TABLE)} (name, timestamp) values (${'9999_from_the_future'}, ${'2030-01-01T00:00:00.000Z'})`.execute(
        storage.connection.db,
      );
      await assert.rejects(storage.migrate(), (error) => {
        assert.ok(error instanceof MigrationError);
        assert.match(error.message, /newer version of Gatehouse/);
        assert.match(error.message, /9999_from_the_future/);
        return true;
      });
      // The unknown migration is not reported as pending: there is nothing this version could do.
      assert.deepEqual(await storage.pendingMigrations(), []);
    });
  });
}
