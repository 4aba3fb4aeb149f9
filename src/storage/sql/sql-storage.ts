// `Storage` over Kysely: one transaction per unit of work, repositories bound to it.

import type { Kysely, Transaction } from 'kysely';
import type { Repositories, Storage } from '../storage.ts';
import { connectDatabase, pingDatabase, type SqlConnection, type SqlDialect } from './dialect.ts';
import { migrateToLatest, migrationStatus } from './migrator.ts';
import { SqlBrowserSessionRepository } from './repositories/browser-session-repository.ts';
import { SqlQueueRepository } from './repositories/queue-repository.ts';
import { SqlUserPasswordRepository } from './repositories/user-password-repository.ts';
import { SqlUserRepository } from './repositories/user-repository.ts';
import type { Schema } from './schema.ts';
import type { DatabaseConfig } from '../../config/sections/database.ts';

function repositories(tx: Transaction<Schema> | Kysely<Schema>, dialect: SqlDialect): Repositories {
  return {
    users: new SqlUserRepository(tx, dialect),
    userPasswords: new SqlUserPasswordRepository(tx, dialect),
    browserSessions: new SqlBrowserSessionRepository(tx, dialect),
    queue: new SqlQueueRepository(tx, dialect),
  };
}

export class SqlStorage implements Storage {
  readonly connection: SqlConnection;

  constructor(connection: SqlConnection) {
    this.connection = connection;
  }

  static open(config: DatabaseConfig): SqlStorage {
    return new SqlStorage(connectDatabase(config));
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.connection.dialect.name;
  }

  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    return this.connection.db
      .transaction()
      .execute((tx) => work(repositories(tx, this.connection.dialect)));
  }

  ping(): Promise<void> {
    return pingDatabase(this.connection.db);
  }

  async pendingMigrations(): Promise<string[]> {
    return (await migrationStatus(this.connection.db)).pending;
  }

  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]> {
    return migrateToLatest(this.connection.db, this.connection.dialect);
  }

  close(): Promise<void> {
    return this.connection.db.destroy();
  }
}
