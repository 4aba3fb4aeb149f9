// Migration 0011 on both dialects: a database migrated up to 0010, holding OAuth 2.0 sessions with a
// device in either scope form and without one, gets each session's device in `device_id` when
// migrated to the latest schema (more sessions than the migration reads per statement, so its
// batches are covered too).
//
// The migrator only migrates to the latest, so the database is first brought to 0010 by Kysely's
// own Migrator over the same migrations and bookkeeping tables; the rows are then written with
// 0010's columns, as an older Gatehouse would have.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import { MockClock } from '../../../../src/clock.ts';
import { asUserId } from '../../../../src/model/ids.ts';
import { newUlid, SeededRng } from '../../../../src/rng.ts';
import { migrations } from '../../../../src/storage/sql/migrations/index.ts';
import { MIGRATION_TABLE } from '../../../../src/storage/sql/migrator.ts';
import type { SqlStorage } from '../../../../src/storage/sql/sql-storage.ts';
import { createEmptyDatabase, dialects, openStorage } from '../../../helpers/storage.ts';

const BEFORE = '0010_policy_data';
const THIS = '0011_oauth2_session_device';
const API = 'urn:matrix:client:api:*';
const UAPI = 'urn:matrix:org.matrix.msc2967.client:api:*';

/** Applies the migrations up to and including `target`, recorded as the migrator records them. */
async function migrateTo(storage: SqlStorage, target: string): Promise<void> {
  const { db, dialect } = storage.connection;
  const migrator = new Migrator({
    db: db as Kysely<unknown>,
    provider: {
      async getMigrations() {
        const record: Record<string, Migration> = {};
        for (const m of migrations) record[m.name] = { up: (tx) => m.up(tx, dialect) };
        return record;
      },
    },
    migrationTableName: MIGRATION_TABLE,
    // src/storage/sql/migrator.ts's lock table.
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
  const { error } = await migrator.migrateTo(target);
  if (error !== undefined) throw error;
}

for (const dialect of dialects) {
  describe(`migration ${THIS} on ${dialect}`, () => {
    let remove: () => void;
    let storage: SqlStorage;

    beforeEach(async () => {
      let uri: string;
      ({ uri, remove } = await createEmptyDatabase(dialect));
      storage = openStorage(uri);
    });
    afterEach(async () => {
      await storage.close();
      remove();
    });

    it('fills device_id of the existing sessions from their scope', async () => {
      await migrateTo(storage, BEFORE);
      assert.deepEqual(await storage.pendingMigrations(), migrations.map((m) => m.name).slice(10));
      assert.equal(migrations[10]!.name, THIS);

      const { db, dialect: d } = storage.connection;
      const clock = new MockClock('2026-03-01T10:00:00.000Z');
      const rng = new SeededRng('migration-0011');
      const id = () => {
        clock.advance(1);
        return newUlid(clock, rng);
      };
      const userId = id();
      const otherUserId = id();
      const clientId = id();
      const now = d.toTimestamp(clock.now());
      await sql`insert into users (id, username, created_at, can_request_admin)
        values (${userId}, ${'alice'}, ${now}, ${d.toBoolean(false)}),
               (${otherUserId}, ${'bob'}, ${now}, ${d.toBoolean(false)})`.execute(db);
      await sql`insert into oauth2_clients (id, is_static, token_endpoint_auth_method, grant_types,
          redirect_uris, post_logout_redirect_uris, client_name_localized, contacts, created_at)
        values (${clientId}, ${d.toBoolean(false)}, ${'none'}, ${d.toJson([])}, ${d.toJson([])},
          ${d.toJson([])}, ${d.toJson({})}, ${d.toJson([])}, ${now})`.execute(db);

      // [user, scope, the device expected in device_id]
      const cases: [string | null, string, string | null][] = [
        [userId, `openid ${API} urn:matrix:client:device:ABCDEFGHIJ`, 'ABCDEFGHIJ'],
        [
          userId,
          `${UAPI} urn:matrix:org.matrix.msc2967.client:device:unstable.Dev-1`,
          'unstable.Dev-1',
        ],
        [otherUserId, `${API} urn:matrix:client:device:abcdefghij openid`, 'abcdefghij'],
        [userId, `openid ${API}`, null],
        [userId, 'openid email', null],
        // Contains `:device:`, but is no Matrix device scope.
        [userId, 'openid urn:example:device:ABCDEFGHIJ', null],
        [null, 'urn:mas:admin', null],
      ];
      // More than one batch of the migration (1000 sessions per statement) hold a device.
      for (let i = 0; i < 1203; i++) {
        cases.push([
          userId,
          `${API} urn:matrix:client:device:BULK${String(i).padStart(6, '0')}`,
          `BULK${String(i).padStart(6, '0')}`,
        ]);
      }
      const expected = new Map<string, string | null>();
      const rows = cases.map(([user, scope, device], i) => {
        const sessionId = id();
        expected.set(sessionId, device);
        // Every third bulk session finished: the column is filled whatever the session's state.
        return { sessionId, user, scope, finished: i >= 7 && i % 3 === 0 };
      });
      for (let start = 0; start < rows.length; start += 400) {
        const chunk = rows.slice(start, start + 400);
        await sql`insert into oauth2_sessions (id, oauth2_client_id, user_id, scope, created_at, finished_at)
          values ${sql.join(
            chunk.map(
              (r) =>
                sql`(${r.sessionId}, ${clientId}, ${r.user}, ${r.scope}, ${now}, ${r.finished ? now : null})`,
            ),
          )}`.execute(db);
      }

      assert.deepEqual(await storage.migrate(), migrations.map((m) => m.name).slice(10));

      const stored = await db.selectFrom('oauth2_sessions').select(['id', 'device_id']).execute();
      assert.equal(stored.length, expected.size);
      assert.deepEqual(new Map(stored.map((row) => [row.id, row.device_id])), expected);

      // The repository finds the migrated sessions by their device; only the active ones.
      const devices = async (user: string, deviceId: string) =>
        (
          await storage.transaction((repos) =>
            repos.oauth2Sessions.listActiveForDevice(asUserId(user), deviceId),
          )
        ).map((s) => s.id);
      assert.deepEqual(await devices(userId, 'ABCDEFGHIJ'), [rows[0]!.sessionId]);
      assert.deepEqual(await devices(userId, 'unstable.Dev-1'), [rows[1]!.sessionId]);
      assert.deepEqual(await devices(otherUserId, 'abcdefghij'), [rows[2]!.sessionId]);
      assert.deepEqual(await devices(userId, 'abcdefghij'), []);
      assert.deepEqual(await devices(userId, 'BULK000001'), [rows[8]!.sessionId]);
      assert.deepEqual(await devices(userId, 'BULK00000'), []);
      assert.ok(rows[9]!.finished);
      assert.deepEqual(await devices(userId, 'BULK000002'), []);
    });
  });
}
