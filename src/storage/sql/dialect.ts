// The only place that branches on the SQL dialect. Everything else in storage/sql/ writes one query
// through Kysely and converts values with the helpers of the `SqlDialect` it is given.
//
// Representation choices, the same for every table:
// - ids are ULIDs stored as text;
// - timestamps are `timestamptz` on PostgreSQL and ISO-8601 UTC text on SQLite (fixed width, so they
//   sort and compare as text);
// - booleans are `boolean` on PostgreSQL and 0/1 on SQLite;
// - JSON documents are `jsonb` on PostgreSQL and text on SQLite.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  Kysely,
  PostgresDialect,
  sql,
  type ColumnDataType,
  type Expression,
  type RawBuilder,
} from 'kysely';
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { DatabaseConfig } from '../../config/sections/database.ts';
import { readInlineOrFile } from '../../config/secret-file.ts';
import { NodeSqliteDialect, openNodeSqlite } from './node-sqlite.ts';
import { preparingClient } from './postgres-prepared.ts';
import type { Schema } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface SqlDialect {
  readonly name: DialectName;
  /** Column types for migrations. */
  readonly types: {
    timestamp: ColumnDataType | Expression<unknown>;
    boolean: ColumnDataType;
    json: ColumnDataType;
  };
  toTimestamp(date: Date): TimestampValue;
  fromTimestamp(value: TimestampValue): Date;
  fromNullableTimestamp(value: TimestampValue | null): Date | null;
  toBoolean(value: boolean): BooleanValue;
  fromBoolean(value: BooleanValue): boolean;
  toJson(value: unknown): JsonValue;
  fromJson<T>(value: JsonValue): T;
  /** True when the error is a unique-constraint violation. */
  isUniqueViolation(error: unknown): boolean;
  /**
   * Row locks that skip rows other transactions hold (`SELECT ... FOR UPDATE SKIP LOCKED`), so
   * concurrent queue workers claim different jobs without waiting. SQLite has no row locks: its
   * writers are serialised by BEGIN IMMEDIATE instead.
   */
  readonly supportsSkipLocked: boolean;
  /** `LISTEN`/`NOTIFY` between connections (queue workers wake on new jobs instead of polling). */
  readonly supportsNotify: boolean;
}

/** What a timestamp column holds: a Date from pg, a string from SQLite. */
export type TimestampValue = Date | string;
export type BooleanValue = boolean | number;
export type JsonValue = string | object;

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  types: { timestamp: 'text', boolean: 'integer', json: 'text' },
  toTimestamp: (date) => date.toISOString(),
  fromTimestamp: (value) => new Date(value),
  fromNullableTimestamp: (value) => (value === null ? null : new Date(value)),
  toBoolean: (value) => (value ? 1 : 0),
  fromBoolean: (value) => value === 1 || value === true,
  toJson: (value) => JSON.stringify(value),
  fromJson: <T>(value: JsonValue) => (typeof value === 'string' ? JSON.parse(value) : value) as T,
  isUniqueViolation: (error) =>
    error instanceof Error &&
    /UNIQUE constraint failed|PRIMARY KEY constraint failed/.test(error.message),
  supportsSkipLocked: false,
  supportsNotify: false,
};

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  types: { timestamp: 'timestamptz', boolean: 'boolean', json: 'jsonb' },
  toTimestamp: (date) => date,
  fromTimestamp: (value) => new Date(value),
  fromNullableTimestamp: (value) => (value === null ? null : new Date(value)),
  toBoolean: (value) => value,
  fromBoolean: (value) => value === true || value === 1,
  // pg serialises objects itself, but arrays would become PostgreSQL arrays: always send text.
  toJson: (value) => JSON.stringify(value),
  // pg has already parsed jsonb: a string here is a JSON string value, not JSON text.
  fromJson: <T>(value: JsonValue) => value as T,
  isUniqueViolation: (error) => (error as { code?: unknown } | null)?.code === '23505',
  supportsSkipLocked: true,
  supportsNotify: true,
};

export interface SqlConnection {
  readonly db: Kysely<Schema>;
  readonly dialect: SqlDialect;
  /** For PostgreSQL only: the pool, so LISTEN/NOTIFY can take a dedicated client from it. */
  readonly pool: pg.Pool | null;
  /** A human-readable description without credentials, for logs. */
  readonly description: string;
  /**
   * SQLite only (null on PostgreSQL): SQLite's `PRAGMA data_version` of this connection, a number
   * that changes whenever another connection (another process: the `manage` CLI, a second
   * server) has committed to the database file since the last call. Reading it costs one
   * in-memory statement.
   */
  readonly externalChangeVersion: (() => number) | null;
}

/** Parses `sqlite:PATH` / `sqlite::memory:`; null for anything else. */
export function sqlitePathFromUri(uri: string | undefined): string | null {
  if (uri === undefined || !uri.startsWith('sqlite:')) return null;
  const rest = uri.slice('sqlite:'.length);
  if (rest === ':memory:') return ':memory:';
  // Accept `sqlite:///abs/path` and `sqlite://rel` as other tools write them.
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (path === '')
    throw new Error('database.uri: `sqlite:` needs a file path, e.g. `sqlite:data/gatehouse.db`');
  return path;
}

export function describeDatabase(config: DatabaseConfig): string {
  const sqlitePath = sqlitePathFromUri(config.uri);
  if (sqlitePath !== null)
    return sqlitePath === ':memory:' ? 'SQLite (in memory)' : `SQLite ${resolve(sqlitePath)}`;
  if (config.uri !== undefined) {
    try {
      const url = new URL(config.uri);
      return `PostgreSQL ${url.hostname || 'localhost'}${url.port ? `:${url.port}` : ''}${url.pathname}`;
    } catch {
      return 'PostgreSQL';
    }
  }
  return `PostgreSQL ${config.socket ?? config.host ?? 'localhost'}${config.port ? `:${config.port}` : ''}/${config.database ?? ''}`;
}

function postgresPoolConfig(config: DatabaseConfig): pg.PoolConfig {
  const pool: pg.PoolConfig = {
    min: config.min_connections,
    max: config.max_connections,
    connectionTimeoutMillis: config.connect_timeout * 1000,
    idleTimeoutMillis: config.idle_timeout * 1000,
    maxLifetimeSeconds: config.max_lifetime,
  };
  if (config.uri !== undefined) {
    // `postgresql://` alone means "libpq defaults", as in MAS.
    if (config.uri !== 'postgresql://' && config.uri !== 'postgres://')
      pool.connectionString = config.uri;
  } else {
    if (config.socket !== undefined) pool.host = config.socket;
    else if (config.host !== undefined) pool.host = config.host;
    if (config.port !== undefined) pool.port = config.port;
    if (config.username !== undefined) pool.user = config.username;
    const password = readInlineOrFile(config.password, config.password_file);
    if (password !== undefined) pool.password = password;
    if (config.database !== undefined) pool.database = config.database;
  }
  const mode = config.ssl_mode;
  if (mode !== undefined && mode !== 'disable' && mode !== 'allow' && mode !== 'prefer') {
    const ca = readInlineOrFile(config.ssl_ca, config.ssl_ca_file);
    const cert = readInlineOrFile(config.ssl_certificate, config.ssl_certificate_file);
    const key = readInlineOrFile(config.ssl_key, config.ssl_key_file);
    pool.ssl = {
      rejectUnauthorized: mode === 'verify-ca' || mode === 'verify-full',
      ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
    };
  }
  return pool;
}

/**
 * pg (a CommonJS package, ~11 MB of code and heap with its type parsers) is loaded the first time a
 * PostgreSQL database is opened, synchronously through `require`, so a SQLite server never loads it.
 */
const loadPg = (): typeof pg => createRequire(import.meta.url)('pg') as typeof pg;

/** Opens the configured database. Does not migrate. */
export function connectDatabase(config: DatabaseConfig): SqlConnection {
  const sqlitePath = sqlitePathFromUri(config.uri);
  if (sqlitePath !== null) {
    if (sqlitePath !== ':memory:') mkdirSync(dirname(resolve(sqlitePath)), { recursive: true });
    const database = openNodeSqlite({
      path: sqlitePath,
      busyTimeoutMs: config.busy_timeout * 1000,
    });
    const dataVersion = database.prepare('PRAGMA data_version');
    return {
      db: new Kysely<Schema>({ dialect: new NodeSqliteDialect(database) }),
      dialect: sqliteDialect,
      pool: null,
      description: describeDatabase(config),
      externalChangeVersion: () =>
        Number((dataVersion.get() as { data_version: number }).data_version),
    };
  }
  const pgModule = loadPg();
  // Its clients run the precompiled statements as named prepared statements
  // (./postgres-prepared.ts); everything else as before.
  const pool = new pgModule.Pool({
    ...postgresPoolConfig(config),
    Client: preparingClient(pgModule.Client),
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool
  // drops it and the next query opens a new one.
  pool.on('error', () => {});
  return {
    db: new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) }),
    dialect: postgresDialect,
    pool,
    description: describeDatabase(config),
    externalChangeVersion: null,
  };
}

/** `SELECT 1`: throws when the database cannot be reached. */
export async function pingDatabase(db: Kysely<Schema>): Promise<void> {
  await sql`select 1`.execute(db);
}

export type { RawBuilder };
