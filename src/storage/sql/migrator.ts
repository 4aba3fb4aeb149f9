// Applies the migrations of ./migrations in order, recording each in `gatehouse_migrations`
// (Kysely's Migrator: the pending migrations apply in one transaction on both dialects, so a failing
// one leaves the database as it was), and refuses a database that a newer Gatehouse has migrated.

import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { SqlDialect } from './dialect.ts';
import { migrations } from './migrations/index.ts';
import type { Schema } from './schema.ts';

export const MIGRATION_TABLE = 'gatehouse_migrations';
const MIGRATION_LOCK_TABLE = 'gatehouse_migrations_lock';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Names the database has applied that this version does not know. */
  unknown: string[];
}

function migrator(db: Kysely<Schema>, dialect: SqlDialect): Migrator {
  const provider: MigrationProvider = {
    async getMigrations() {
      const record: Record<string, Migration> = {};
      for (const m of migrations) record[m.name] = { up: (tx) => m.up(tx, dialect) };
      return record;
    },
  };
  return new Migrator({
    db: db as Kysely<unknown>,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

async function appliedNames(db: Kysely<Schema>): Promise<string[]> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const rows = await (db as unknown as Kysely<Record<string, { name: string }>>)
    .selectFrom(MIGRATION_TABLE)
    .select('name')
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}

export async function migrationStatus(db: Kysely<Schema>): Promise<MigrationStatus> {
  const applied = await appliedNames(db);
  const known = new Set(migrations.map((m) => m.name));
  const done = new Set(applied);
  return {
    applied: applied.filter((n) => known.has(n)),
    pending: migrations.map((m) => m.name).filter((n) => !done.has(n)),
    unknown: applied.filter((n) => !known.has(n)),
  };
}

/** Brings the schema up to date. Returns the names it applied. */
export async function migrateToLatest(db: Kysely<Schema>, dialect: SqlDialect): Promise<string[]> {
  const status = await migrationStatus(db);
  if (status.unknown.length > 0) {
    throw new MigrationError(
      `the database was migrated by a newer version of Gatehouse (it has applied ${status.unknown.join(', ')}); ` +
        'upgrade Gatehouse to use it',
    );
  }
  const { error, results } = await migrator(db, dialect).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`migration ${failed ?? '(unknown)'} failed: ${reason}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
