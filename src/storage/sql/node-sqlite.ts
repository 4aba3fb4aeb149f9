// Kysely's SQLite dialect, driven by Node's built-in `node:sqlite` (no native build step).
// Differences from Kysely's stock driver: statements are adapted to node:sqlite's API (and kept
// prepared); transactions start with BEGIN IMMEDIATE, so a writer takes the lock up front and waits
// for it (busy_timeout) instead of failing half-way when another process holds it; and concurrent
// transactions share one COMMIT (group commit, ./sqlite-group-commit.ts, which also owns the lock
// that gives the one connection to one user at a time in place of Kysely's mutex).
//
// `SqlStorage.transaction` batches its transactions through `sqliteGroupCommit(db)`; any other
// transaction on the connection commits before it returns, as before.

import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import {
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import { GroupCommit } from './sqlite-group-commit.ts';

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

function adapt(db: DatabaseSync, group: GroupCommit): SqliteDatabase {
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
    // Kysely's connection prepares each statement just before running it.
    prepare(sql: string): SqliteStatement {
      group.beforeStatement();
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

/** Kysely's SQLite driver with its transactions run by a `GroupCommit`. */
class GroupCommitDriver extends SqliteDriver {
  readonly #group: GroupCommit;
  readonly #database: SqliteDatabase;

  constructor(database: SqliteDatabase, group: GroupCommit) {
    super({ database });
    this.#database = database;
    this.#group = group;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#group.lock();
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    this.#group.unlock();
  }

  override async beginTransaction(): Promise<void> {
    this.#group.begin();
  }

  override async commitTransaction(): Promise<void> {
    this.#group.commit();
  }

  override async rollbackTransaction(): Promise<void> {
    this.#group.rollback();
  }

  override async destroy(): Promise<void> {
    await this.#group.close();
    this.#database.close();
  }
}

/** Kysely's SQLite adapter, carrying the connection's `GroupCommit` for `sqliteGroupCommit`. */
class GroupCommitAdapter extends SqliteAdapter {
  readonly groupCommit: GroupCommit;

  constructor(groupCommit: GroupCommit) {
    super();
    this.groupCommit = groupCommit;
  }

  // SQLite runs DDL inside transactions: Kysely's stock adapter says it cannot, so its migrator
  // ran SQLite migrations without one and a failing migration left its first statements applied.
  // With this, pending migrations apply all or nothing, as on PostgreSQL.
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  // Kysely serialises a single-connection driver with a mutex of its own. This driver does it
  // itself (GroupCommit's lock), so that a flush can wait for the connection like a query does.
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

export class NodeSqliteDialect extends SqliteDialect {
  readonly #database: DatabaseSync;
  readonly #group: GroupCommit;

  constructor(database: DatabaseSync) {
    const group = new GroupCommit(database);
    super({ database: adapt(database, group) });
    this.#database = database;
    this.#group = group;
  }

  override createDriver(): Driver {
    return new GroupCommitDriver(adapt(this.#database, this.#group), this.#group);
  }

  override createAdapter(): DialectAdapter {
    return new GroupCommitAdapter(this.#group);
  }
}

/** The group commit of a Kysely opened on `NodeSqliteDialect`; null for any other database. */
export function sqliteGroupCommit(db: Kysely<unknown>): GroupCommit | null {
  const adapter = db.getExecutor().adapter;
  return adapter instanceof GroupCommitAdapter ? adapter.groupCommit : null;
}
