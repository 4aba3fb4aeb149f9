// Kysely's SQLite dialect, driven by Node's built-in `node:sqlite` (no native build step).
// Two differences from Kysely's stock driver: statements are adapted to node:sqlite's API, and
// transactions start with BEGIN IMMEDIATE, so a writer takes the lock up front and waits for it
// (busy_timeout) instead of failing half-way when another process holds it.

import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  SqliteDriver,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';

export interface NodeSqliteOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** Milliseconds a writer waits for the lock held by another connection or process. */
  busyTimeoutMs: number;
}

/** Statements kept prepared: Kysely sends the same few hundred SQL texts over and over. */
const STATEMENT_CACHE_SIZE = 500;

function wrap(stmt: ReturnType<DatabaseSync['prepare']>): SqliteStatement {
  const args = (parameters: ReadonlyArray<unknown>) => parameters as SQLInputValue[];
  return {
    // Read once: `columns()` builds its answer anew on every call.
    reader: stmt.columns().length > 0,
    all: (parameters) => stmt.all(...args(parameters)),
    run: (parameters) => stmt.run(...args(parameters)),
    iterate: (parameters) => stmt.iterate(...args(parameters)),
  };
}

function adapt(db: DatabaseSync): SqliteDatabase {
  // The adapted statements themselves are cached, not only node:sqlite's: Kysely asks for one per
  // query, and building it (with its column list) showed up in profiles of the token endpoint.
  const statements = new Map<string, SqliteStatement>();
  const prepared = (sql: string) => {
    let stmt = statements.get(sql);
    if (stmt === undefined) {
      stmt = wrap(db.prepare(sql));
      // Oldest out first (Map keeps insertion order).
      if (statements.size >= STATEMENT_CACHE_SIZE)
        statements.delete(statements.keys().next().value!);
      statements.set(sql, stmt);
    }
    return stmt;
  };
  return {
    close: () => {
      statements.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = statements.get(sql);
      if (cached !== undefined) return cached;
      // Schema changes (migrations) invalidate statements: those are never cached.
      return /^\s*(create|alter|drop)\b/i.test(sql) ? wrap(db.prepare(sql)) : prepared(sql);
    },
  };
}

/** Opens the file with the pragmas every Gatehouse connection needs. */
export function openNodeSqlite(options: NodeSqliteOptions): DatabaseSync {
  const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs });
  // WAL: readers never block the writer, and a crash loses nothing committed.
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL is durable against process crashes in WAL mode (only an OS crash can lose the last commit).
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  return db;
}

// Made once: Kysely's stock driver builds (and freezes) a new query object for every BEGIN and
// COMMIT, and every token request runs one of each.
const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

class ImmediateTransactionDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(BEGIN_IMMEDIATE);
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(COMMIT);
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(ROLLBACK);
  }
}

export class NodeSqliteDialect extends SqliteDialect {
  readonly #database: DatabaseSync;

  constructor(database: DatabaseSync) {
    super({ database: adapt(database) });
    this.#database = database;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionDriver({ database: adapt(this.#database) });
  }
}
