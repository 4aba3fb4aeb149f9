// Pieces every long-running or database command shares: opening the database with a one-line
// error, checking it is migrated, finding the user a command names, and waiting for a stop signal.

import { isAbsolute, resolve } from 'node:path';
import type { DatabaseConfig } from '../config/sections/database.ts';
import { describeDatabase, sqlitePathFromUri } from '../storage/sql/dialect.ts';
import { MigrationError } from '../storage/sql/migrator.ts';
import { SqlStorage } from '../storage/sql/sql-storage.ts';
import type { User } from '../model/user.ts';
import type { Repositories } from '../storage/storage.ts';
import { CliError } from './context.ts';

/** A driver error as one line. pg reports a refused connection as an AggregateError with no message. */
export function oneLine(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0 && !error.message)
    return oneLine(error.errors[0]);
  if (error instanceof Error) {
    const message = error.message.split('\n')[0]?.trim();
    const code = (error as { code?: unknown }).code;
    if (message) return message;
    if (typeof code === 'string') return code;
    return error.name;
  }
  return String(error);
}

export interface OpenedStorage {
  storage: SqlStorage;
  /** The database, described without credentials, for messages. */
  where: string;
}

/** A relative `sqlite:` path is relative to the command's working directory, as MAS's paths are. */
function relativeToCwd(config: DatabaseConfig, cwd: string): DatabaseConfig {
  const path = sqlitePathFromUri(config.uri);
  if (path === null || path === ':memory:' || isAbsolute(path)) return config;
  return { ...config, uri: `sqlite:${resolve(cwd, path)}` };
}

export function openStorage(config: DatabaseConfig, cwd: string): OpenedStorage {
  const resolved = relativeToCwd(config, cwd);
  const where = describeDatabase(resolved);
  try {
    return { storage: SqlStorage.open(resolved), where };
  } catch (error) {
    throw new CliError(`cannot open the database (${where}): ${oneLine(error)}`);
  }
}

/** Applies pending migrations; returns their names. Failures are one-line CliErrors. */
export async function migrate(storage: SqlStorage, where: string): Promise<string[]> {
  try {
    return await storage.migrate();
  } catch (error) {
    if (error instanceof MigrationError) throw new CliError(`${where}: ${error.message}`);
    throw new CliError(`cannot migrate the database (${where}): ${oneLine(error)}`);
  }
}

/** Throws a one-line CliError when the database is unreachable or behind this version's migrations. */
export async function assertMigrated(storage: SqlStorage, where: string): Promise<void> {
  let pending: string[];
  try {
    pending = await storage.pendingMigrations();
  } catch (error) {
    throw new CliError(`cannot reach the database (${where}): ${oneLine(error)}`);
  }
  if (pending.length > 0) {
    throw new CliError(
      `the database (${where}) has ${pending.length} pending migration(s) (${pending.join(', ')}); run \`gatehouse database migrate\` first`,
    );
  }
}

/**
 * Opens the configured database, checks it is migrated, runs `work` and closes the database
 * (whatever `work` did): what every one-shot `manage` command does around its transaction.
 */
export async function withMigratedStorage<T>(
  config: DatabaseConfig,
  cwd: string,
  work: (storage: SqlStorage) => Promise<T>,
): Promise<T> {
  const { storage, where } = openStorage(config, cwd);
  try {
    await assertMigrated(storage, where);
    return await work(storage);
  } finally {
    await storage.close().catch(() => {});
  }
}

/** The user named `username`, or a one-line CliError. */
export async function requireUser(repos: Repositories, username: string): Promise<User> {
  const user = await repos.users.findByUsername(username);
  if (user === null) throw new CliError(`unknown user "${username}"`);
  return user;
}

export interface Signals {
  /** Resolves on the first SIGTERM or SIGINT. */
  readonly stop: Promise<NodeJS.Signals>;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * Catches SIGTERM and SIGINT (resolving `stop`) and SIGHUP (calling `onHangup`). Installed before
 * start-up, so a signal that arrives while starting still stops cleanly.
 */
export function catchSignals(onHangup: () => void = () => {}): Signals {
  const stopSignals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  let onStop: (signal: NodeJS.Signals) => void = () => {};
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    onStop = (signal) => resolve(signal);
  });
  for (const s of stopSignals) process.on(s, onStop);
  process.on('SIGHUP', onHangup);
  return {
    stop,
    dispose() {
      for (const s of stopSignals) process.off(s, onStop);
      process.off('SIGHUP', onHangup);
    },
  };
}
