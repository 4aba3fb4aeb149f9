// Named prepared statements on PostgreSQL (src/storage/sql/postgres-prepared.ts): the precompiled
// statements run as named prepared statements, reused on their connection, and nothing else is
// prepared; a prepared precompiled statement keeps working after a migration adds a column to its
// table under it (a rolling upgrade), where a prepared `select *` fails and takes its transaction
// with it. Each test opens its own database with a pool of one connection, so every query of the
// test runs on the same PostgreSQL backend.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { MockClock } from '../../../src/clock.ts';
import { databaseSchema } from '../../../src/config/sections/database.ts';
import { SeededRng } from '../../../src/rng.ts';
import {
  MAX_PREPARED_STATEMENTS,
  preparedStatementName,
  preparingClient,
  registerPreparedStatement,
} from '../../../src/storage/sql/postgres-prepared.ts';
import { SqlUserRepository } from '../../../src/storage/sql/repositories/user-repository.ts';
import type { Schema } from '../../../src/storage/sql/schema.ts';
import { SqlStorage } from '../../../src/storage/sql/sql-storage.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';

interface Prepared {
  name: string;
  statement: string;
  executions: number;
}

/** The prepared statements of the connection `db` runs on, with how often each was executed. */
async function preparedStatements(db: Kysely<Schema>): Promise<Prepared[]> {
  const { rows } = await sql<Prepared>`
    select name, statement, (generic_plans + custom_plans)::int as executions
      from pg_prepared_statements order by name`.execute(db);
  return rows;
}

const backendPid = async (db: Kysely<Schema>): Promise<number> =>
  (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]!.pid;

describe('named prepared statements (PostgreSQL)', () => {
  let uri: string;
  let storage: SqlStorage;
  let other: pg.Client | null = null;
  const clock = new MockClock();

  beforeEach(async () => {
    uri = await createTestDatabase();
    storage = SqlStorage.open(databaseSchema.parse({ uri, max_connections: 1 }));
    await storage.migrate();
  });
  afterEach(async () => {
    await other?.end();
    other = null;
    await storage.close();
  });

  /** Another connection, as a newer node running a migration would be. */
  async function otherConnection(): Promise<pg.Client> {
    other = new pg.Client({ connectionString: uri });
    await other.connect();
    return other;
  }

  it('runs a precompiled statement as a named prepared statement, reused, and nothing else', async () => {
    const { db, dialect } = storage.connection;
    const users = new SqlUserRepository(db, dialect);
    // `add` and `findByUsername` are ordinary (unnamed) queries; `lookup` is precompiled.
    const alice = await users.add(new SeededRng(1), clock, 'alice');
    assert.ok(alice !== null);
    await users.findByUsername('alice');
    const pid = await backendPid(db);

    for (let i = 0; i < 3; i++) assert.equal((await users.lookup(alice.id))?.username, 'alice');
    await db.transaction().execute(async (tx) => {
      assert.equal((await new SqlUserRepository(tx, dialect).lookup(alice.id))?.username, 'alice');
    });

    assert.equal(await backendPid(db), pid, 'one connection throughout');
    const prepared = await preparedStatements(db);
    assert.equal(prepared.length, 1, JSON.stringify(prepared));
    const [lookup] = prepared as [Prepared];
    assert.match(lookup.statement, /^select "id", "username", .* from "users" where "id" = \$1$/);
    assert.equal(lookup.name, preparedStatementName(lookup.statement));
    // Prepared once, executed four times.
    assert.equal(lookup.executions, 4);
  });

  it('keeps a prepared statement working after a migration adds a column under it', async () => {
    const { db, dialect } = storage.connection;
    const alice = await new SqlUserRepository(db, dialect).add(new SeededRng(1), clock, 'alice');
    assert.ok(alice !== null);
    const pid = await backendPid(db);
    await db.transaction().execute(async (tx) => {
      assert.equal((await new SqlUserRepository(tx, dialect).lookup(alice.id))?.username, 'alice');
    });
    const [before] = (await preparedStatements(db)) as [Prepared];

    // A newer node migrates while this one keeps its connection and its prepared statement.
    const newer = await otherConnection();
    await newer.query('alter table users add column nickname text');
    await newer.query(`update users set nickname = 'al' where id = $1`, [alice.id]);

    const found = await db.transaction().execute(async (tx) => {
      const user = await new SqlUserRepository(tx, dialect).lookup(alice.id);
      // The transaction is still usable after it.
      await sql`select 1`.execute(tx);
      return user;
    });
    assert.equal(found?.username, 'alice');
    assert.equal(await backendPid(db), pid, 'the connection that had prepared it');
    const after = await preparedStatements(db);
    assert.deepEqual(
      after.map((p) => [p.name, p.executions]),
      [[before.name, 2]],
      'the same prepared statement ran again',
    );
  });

  it('would fail there with a prepared `select *`, aborting the transaction (why it is refused)', async () => {
    // The same mechanism given a `select *` text directly (PrecompiledQuery would refuse it).
    const text = 'select * from users where username = $1';
    registerPreparedStatement(text);
    const pool = new pg.Pool({ connectionString: uri, max: 1, Client: preparingClient(pg.Client) });
    try {
      const client = await pool.connect();
      try {
        assert.equal((await client.query(text, ['nobody'])).rowCount, 0);
        const newer = await otherConnection();
        await newer.query('alter table users add column nickname text');

        await client.query('begin');
        await assert.rejects(
          () => client.query(text, ['nobody']),
          (error: { code?: string; message?: string }) =>
            error.code === '0A000' &&
            /cached plan must not change result type/.test(error.message!),
        );
        // In a transaction the error cannot be retried: the transaction is lost.
        await assert.rejects(() => client.query('select 1'), { code: '25P02' });
        await client.query('rollback');
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });
});

describe('registerPreparedStatement', () => {
  it('names a text by its hash, the same every time', () => {
    const text = 'select "id" from "users" where "id" = $1 -- naming';
    const name = registerPreparedStatement(text);
    assert.equal(name, preparedStatementName(text));
    assert.match(name!, /^gh_[0-9a-f]{16}$/);
    assert.equal(registerPreparedStatement(text), name);
    assert.notEqual(preparedStatementName(`${text} `), name);
  });

  // Last: it fills this process's registry.
  it(`prepares at most ${MAX_PREPARED_STATEMENTS} texts; later ones run unnamed`, () => {
    let registered = 0;
    for (let i = 0; i < MAX_PREPARED_STATEMENTS + 10; i++) {
      if (registerPreparedStatement(`select ${i} -- bound`) !== null) registered++;
    }
    assert.ok(registered < MAX_PREPARED_STATEMENTS + 10, 'some were refused');
    assert.equal(registerPreparedStatement('select -1 -- past the bound'), null);
    // A text registered before the bound keeps its name.
    assert.equal(
      registerPreparedStatement('select 0 -- bound'),
      preparedStatementName('select 0 -- bound'),
    );
  });
});
