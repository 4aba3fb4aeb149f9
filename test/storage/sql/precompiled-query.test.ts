// PrecompiledQuery: a statement compiled once per dialect runs with each call's values in place of
// `arg(i)`, keeps its compiled-in constants, refuses a wrong number of values, and refuses at
// compile time an argument that did not become a bind parameter or a result of `*`. On SQLite and
// PostgreSQL (where it is a named prepared statement: see postgres-prepared.test.ts).

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { arg, PrecompiledQuery } from '../../../src/storage/sql/precompiled-query.ts';
import type { SqlStorage } from '../../../src/storage/sql/sql-storage.ts';
import { dialects, openTestStorage, type TestStorage } from '../../helpers/storage.ts';

const INSERT = new PrecompiledQuery((db) =>
  db.insertInto('users').values({
    id: arg(0),
    username: arg(1),
    created_at: arg(2),
    locked_at: null,
    deactivated_at: null,
    can_request_admin: arg(3),
  }),
);
const BY_USERNAME = new PrecompiledQuery((db) =>
  db.selectFrom('users').select(['id', 'username']).where('username', '=', arg<string>(0)),
);
// The constant (`null`) stays where it was compiled; arguments may come in any order.
const RENAME_UNLOCKED = new PrecompiledQuery((db) =>
  db
    .updateTable('users')
    .set({ username: arg<string>(1) })
    .where('id', '=', arg<string>(0))
    .where('locked_at', 'is', null)
    .returning(['id', 'username']),
);

/** node:sqlite's rows have no prototype: compare plain copies. */
const plain = <T extends object>(rows: readonly T[]): T[] => rows.map((row) => ({ ...row }));

function insertArgs(t: TestStorage, id: string, username: string): unknown[] {
  const d = t.storage.connection.dialect;
  return [id, username, d.toTimestamp(new Date('2026-01-01T00:00:00Z')), d.toBoolean(false)];
}

for (const dialect of dialects) {
  describe(`PrecompiledQuery (${dialect})`, () => {
    let t: TestStorage;
    let storage: SqlStorage;
    beforeEach(async () => {
      t = await openTestStorage(dialect);
      storage = t.storage;
    });
    afterEach(() => t.cleanup());

    it('runs with new values on every call, inside transactions and outside', async () => {
      const d = storage.connection.dialect;
      await INSERT.execute(storage.connection.db, d, insertArgs(t, '01A', 'alice'));
      await storage.connection.db
        .transaction()
        .execute((tx) => INSERT.execute(tx, d, insertArgs(t, '01B', 'bob')));

      assert.deepEqual(plain(await BY_USERNAME.rows(storage.connection.db, d, ['alice'])), [
        { id: '01A', username: 'alice' },
      ]);
      assert.deepEqual(plain([(await BY_USERNAME.first(storage.connection.db, d, ['bob']))!]), [
        { id: '01B', username: 'bob' },
      ]);
      assert.equal(await BY_USERNAME.first(storage.connection.db, d, ['carol']), undefined);
    });

    it('keeps compiled-in constants and places arguments by index', async () => {
      const db = storage.connection.db;
      const d = storage.connection.dialect;
      await INSERT.execute(db, d, insertArgs(t, '01A', 'alice'));
      await INSERT.execute(db, d, insertArgs(t, '01B', 'bob'));
      await db
        .updateTable('users')
        .set({ locked_at: d.toTimestamp(new Date()) })
        .where('id', '=', '01B')
        .execute();

      assert.deepEqual(plain(await RENAME_UNLOCKED.rows(db, d, ['01A', 'alice2'])), [
        { id: '01A', username: 'alice2' },
      ]);
      // Locked: the compiled `locked_at is null` still applies.
      assert.deepEqual(await RENAME_UNLOCKED.rows(db, d, ['01B', 'bob2']), []);
      const names = await db.selectFrom('users').select('username').orderBy('id').execute();
      assert.deepEqual(
        names.map((r) => r.username),
        ['alice2', 'bob'],
      );
    });

    it('refuses a call with the wrong number of values', async () => {
      const db = storage.connection.db;
      const d = storage.connection.dialect;
      await assert.rejects(() => BY_USERNAME.rows(db, d, []), /statement takes 1 arguments, got 0/);
      await assert.rejects(
        () => BY_USERNAME.rows(db, d, ['a', 'b']),
        /statement takes 1 arguments, got 2/,
      );
    });

    it('refuses a statement whose arguments leave a gap', async () => {
      const gap = new PrecompiledQuery((db) =>
        db.selectFrom('users').select('id').where('username', '=', arg<string>(1)),
      );
      assert.throws(
        () => gap.execute(storage.connection.db, storage.connection.dialect, ['x']),
        /arg\(0\) is not a bind parameter/,
      );
    });

    it('refuses a statement that returns `*` (it would break as a prepared statement)', () => {
      const { db, dialect: d } = storage.connection;
      const star = [
        new PrecompiledQuery((kdb) =>
          kdb.selectFrom('users').selectAll().where('id', '=', arg<string>(0)),
        ),
        new PrecompiledQuery((kdb) =>
          kdb.selectFrom('users').selectAll('users').where('id', '=', arg<string>(0)),
        ),
        new PrecompiledQuery((kdb) =>
          kdb
            .updateTable('users')
            .set({ username: arg<string>(1) })
            .where('id', '=', arg<string>(0))
            .returningAll(),
        ),
        new PrecompiledQuery((kdb) =>
          kdb.deleteFrom('users').where('id', '=', arg<string>(0)).returningAll(),
        ),
      ];
      // Refused as it is compiled, before any value is looked at.
      for (const query of star) {
        assert.throws(
          () => query.execute(db, d, ['01A', 'x']),
          /a precompiled statement must list its result columns, not `\*`/,
        );
      }
    });

    it('leaves raw SQL fragments alone', async () => {
      const db = storage.connection.db;
      const d = storage.connection.dialect;
      const count = new PrecompiledQuery((kdb) =>
        kdb
          .selectFrom('users')
          .select(sql<number>`count(*)`.as('n'))
          .where('username', '<>', arg<string>(0)),
      );
      await INSERT.execute(db, d, insertArgs(t, '01A', 'alice'));
      const row = await count.first(db, d, ['nobody']);
      assert.equal(Number(row?.n), 1);
    });
  });
}

describe('arg', () => {
  it('refuses a negative or fractional index', () => {
    assert.throws(() => arg(-1), RangeError);
    assert.throws(() => arg(1.5), RangeError);
  });
});
