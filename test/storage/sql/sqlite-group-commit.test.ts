// Group commit on SQLite (src/storage/sql/sqlite-group-commit.ts): concurrent transactions share
// one COMMIT, and each still resolves only once its work is committed, rejects when its batch is
// lost, and never takes another member's work down with its own failure. Every test uses a real
// database file, and checks what is committed through a second, independent connection.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { MockClock } from '../../../src/clock.ts';
import { SeededRng } from '../../../src/rng.ts';
import { sqlitePathFromUri } from '../../../src/storage/sql/dialect.ts';
import { sqliteGroupCommit } from '../../../src/storage/sql/node-sqlite.ts';
import type { SqlStorage } from '../../../src/storage/sql/sql-storage.ts';
import { MAX_BATCH, type GroupCommit } from '../../../src/storage/sql/sqlite-group-commit.ts';
import { openTestStorage, type TestStorage } from '../../helpers/storage.ts';

// A member that is never settled would hang the run: fail instead.
const bounded = { timeout: 30_000 };

describe('SQLite group commit', () => {
  let t: TestStorage;
  let storage: SqlStorage;
  let db: Kysely<unknown>;
  let group: GroupCommit;
  let path: string;
  let clock: MockClock;
  let rng: SeededRng;

  beforeEach(async () => {
    t = await openTestStorage('sqlite');
    storage = t.storage;
    db = storage.connection.db as Kysely<unknown>;
    group = sqliteGroupCommit(db)!;
    assert.ok(group);
    path = sqlitePathFromUri(t.uri)!;
    clock = new MockClock();
    rng = new SeededRng('group-commit');
    await sql`create table gc_rows (name text primary key)`.execute(db);
  });
  afterEach(() => t.cleanup());

  /** What another connection (another process would see the same) finds committed now. */
  function committed(query: string): unknown[] {
    const other = new DatabaseSync(path);
    try {
      return other
        .prepare(query)
        .all()
        .map((row) => Object.values(row)[0]);
    } finally {
      other.close();
    }
  }
  const committedUsers = () =>
    (committed('select username from users order by username') as string[]).filter((name) =>
      name.startsWith('gc-'),
    );
  const committedRows = () => committed('select name from gc_rows order by name') as string[];

  const addUser = (name: string) =>
    storage.transaction(async (repos) => (await repos.users.add(rng, clock, name))!.id);
  /** A batched transaction of raw SQL, run as `SqlStorage.transaction` runs its work. */
  const rawTransaction = (...statements: string[]) =>
    group.transaction(db, async (tx) => {
      for (const statement of statements) await sql.raw(statement).execute(tx);
    });

  it(
    'lets concurrent transactions share one COMMIT, each resolving once committed',
    bounded,
    async () => {
      const before = group.commits;
      const names = Array.from({ length: 8 }, (_, i) => `gc-${i}`);
      const ids = await Promise.all(names.map(addUser));

      assert.equal(ids.length, 8);
      assert.equal(group.commits - before, 1);
      assert.deepEqual(committedUsers(), names);
      await storage.close();
      assert.deepEqual(committedUsers(), names);
    },
  );

  it('bounds a batch to MAX_BATCH members', bounded, async () => {
    const before = group.commits;
    const count = MAX_BATCH + 5;
    await Promise.all(Array.from({ length: count }, (_, i) => addUser(`gc-${1000 + i}`)));
    assert.equal(group.commits - before, 2);
    assert.equal(committedUsers().length, count);
  });

  it('rolls back only the work of the member that throws', bounded, async () => {
    const failure = new Error('boom');
    const failing = (name: string) =>
      storage.transaction(async (repos) => {
        await repos.users.add(rng, clock, name);
        throw failure;
      });
    const before = group.commits;
    // The first member opens the batch; the others join it.
    const results = await Promise.allSettled([
      failing('gc-first'),
      addUser('gc-a'),
      failing('gc-b'),
      addUser('gc-c'),
    ]);

    assert.deepEqual(
      results.map((result) => result.status),
      ['rejected', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal((results[0] as PromiseRejectedResult).reason, failure);
    assert.equal((results[2] as PromiseRejectedResult).reason, failure);
    assert.equal(group.commits - before, 1);
    assert.deepEqual(committedUsers(), ['gc-a', 'gc-c']);
  });

  it('rejects every member and keeps nothing when the shared COMMIT fails', bounded, async () => {
    // A deferred foreign key is checked at COMMIT: the only way a COMMIT fails on demand.
    await sql`create table gc_parents (id integer primary key)`.execute(db);
    await sql`create table gc_children (id integer primary key,
      parent integer references gc_parents (id) deferrable initially deferred)`.execute(db);
    const before = group.commits;

    const results = await Promise.allSettled([
      addUser('gc-a'),
      rawTransaction('insert into gc_rows values (1)'),
      rawTransaction('insert into gc_children values (1, 999)'),
      addUser('gc-c'),
    ]);

    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.match(String(result.reason), /FOREIGN KEY constraint failed/);
    }
    assert.equal(group.commits - before, 0);
    assert.deepEqual(committedUsers(), []);
    assert.deepEqual(committedRows(), []);
    assert.deepEqual(committed('select id from gc_children'), []);
    // The connection is not left inside the failed transaction.
    await addUser('gc-after');
    assert.deepEqual(committedUsers(), ['gc-after']);
  });

  it(
    'rejects the members before one whose statement made SQLite end the whole transaction',
    bounded,
    async () => {
      await sql`insert into gc_rows values ('taken')`.execute(db);

      const [before, culprit, after] = await Promise.allSettled([
        addUser('gc-before'),
        // OR ROLLBACK: a conflict rolls back the whole transaction, not only the statement.
        rawTransaction("insert or rollback into gc_rows values ('taken')"),
        addUser('gc-after'),
      ]);

      assert.equal(before.status, 'rejected');
      assert.match(String(before.reason), /rolled back the whole transaction/);
      assert.equal(culprit.status, 'rejected');
      assert.match(String(culprit.reason), /UNIQUE constraint failed/);
      // The next member starts a new batch.
      assert.equal(after.status, 'fulfilled');
      assert.deepEqual(committedUsers(), ['gc-after']);
    },
  );

  it(
    'makes a write outside a transaction durable before answering it, while a batch is open',
    bounded,
    async () => {
      const pending = addUser('gc-a');
      // Queued behind the transaction, so it runs while the batch holding gc-a is open.
      await sql`insert into gc_rows values ('outside')`.execute(db);
      // Checked before anything else can run: the write and the batch before it are committed.
      assert.deepEqual(committedRows(), ['outside']);
      assert.deepEqual(committedUsers(), ['gc-a']);
      await pending;

      // A write that returns rows, as a reader would.
      const pendingB = addUser('gc-b');
      const { rows } = await sql<{
        name: string;
      }>`insert into gc_rows values ('returning') returning name`.execute(db);
      assert.deepEqual(
        rows.map((row) => row.name),
        ['returning'],
      );
      assert.deepEqual(committedRows(), ['outside', 'returning']);
      await pendingB;
      assert.deepEqual(committedUsers(), ['gc-a', 'gc-b']);
    },
  );

  it('answers a read outside a transaction with committed data only', bounded, async () => {
    const pending = addUser('gc-a');
    const { rows } = await sql<{
      username: string;
    }>`select username from users where username = 'gc-a'`.execute(db);
    assert.deepEqual(
      rows.map((row) => row.username),
      ['gc-a'],
    );
    // What the read saw is committed (the batch was committed before it ran).
    assert.deepEqual(committedUsers(), ['gc-a']);
    await pending;
  });

  it(
    'answers a read that joined a batch only once the writes it saw are committed',
    bounded,
    async () => {
      const id = addUser('gc-a');
      const seen = storage.transaction(async (repos) => repos.users.exists('gc-a'));
      assert.equal(await seen, true);
      assert.deepEqual(committedUsers(), ['gc-a']);
      await id;
    },
  );

  it('answers a read alone without waiting for a flush', bounded, async () => {
    let turned = false;
    setImmediate(() => (turned = true));
    assert.equal(await storage.transaction((repos) => repos.users.exists('gc-none')), false);
    // A flush runs on a later turn of the event loop: the read did not wait for one.
    assert.equal(turned, false);
  });

  it(
    'commits a transaction that does not ask for batching before it returns, with the batch',
    bounded,
    async () => {
      const pending = addUser('gc-a');
      await db
        .transaction()
        .execute((tx) => sql`insert into gc_rows values ('direct')`.execute(tx));
      assert.deepEqual(committedRows(), ['direct']);
      assert.deepEqual(committedUsers(), ['gc-a']);
      await pending;
    },
  );

  it(
    'commits an open batch when the storage is closed, and refuses work after',
    bounded,
    async () => {
      const pending = Promise.all([addUser('gc-a'), addUser('gc-b')]);
      await storage.close();
      assert.equal((await pending).length, 2);
      assert.deepEqual(committedUsers(), ['gc-a', 'gc-b']);
      await assert.rejects(addUser('gc-c'));
    },
  );

  it('lets another process write to the same file meanwhile', bounded, async () => {
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DatabaseSync } from 'node:sqlite';
         const db = new DatabaseSync(process.argv[1], { timeout: 20000 });
         for (let i = 0; i < 20; i++) {
           db.exec('BEGIN IMMEDIATE');
           db.prepare('insert into gc_rows values (?)').run('child-' + i);
           db.exec('COMMIT');
         }
         db.close();`,
        path,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = once(child, 'exit');
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 5 }, (_, i) => addUser(`gc-${round}-${i}`)));
    }
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.equal(committedUsers().length, 50);
    assert.equal(committedRows().length, 20);
  });
});
