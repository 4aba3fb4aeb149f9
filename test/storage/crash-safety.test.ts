// Nothing committed is lost when a writer dies: a child process commits transactions in a tight
// loop and is killed with SIGKILL mid-burst; every id it reported as committed must then be in the
// database, whole (user, password and session together), and SQLite's file must be intact.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { asUserId } from '../../src/model/ids.ts';
import { sqlitePathFromUri } from '../../src/storage/sql/dialect.ts';
import { dialects, openStorage, openTestStorage } from '../helpers/storage.ts';

const writer = fileURLToPath(new URL('../fixtures/crash-writer.ts', import.meta.url));
const KILL_AFTER = 300;
const TIMEOUT_MS = 60_000;

/** Runs the writer until it has reported `KILL_AFTER` commits, SIGKILLs it, returns what it reported. */
async function runAndKill(uri: string): Promise<string[]> {
  const child = spawn(process.execPath, [writer, uri], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  const committed: string[] = [];
  let stderr = '';
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`writer reported only ${committed.length} commits in time`)),
        TIMEOUT_MS,
      );
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        // Only whole lines count: a line cut short was never fully reported.
        partial = lines.pop()!;
        committed.push(...lines);
        if (committed.length >= KILL_AFTER) {
          clearTimeout(timer);
          // Killed while it keeps writing: the next transaction is under way.
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`writer exited early (${code ?? signal}): ${stderr}`));
      });
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  }
  assert.equal(child.signalCode, 'SIGKILL');
  return committed;
}

for (const dialect of dialects) {
  describe(`crash safety on ${dialect}`, () => {
    it('keeps every commit a killed writer reported', async () => {
      const t = await openTestStorage(dialect);
      try {
        // The writer opens its own connection; ours must not hold a SQLite lock meanwhile.
        await t.storage.close();
        const committed = await runAndKill(t.uri);
        assert.ok(committed.length >= KILL_AFTER);

        const sqlitePath = sqlitePathFromUri(t.uri);
        if (sqlitePath !== null) {
          // Opening the file recovers from the WAL the killed process left behind.
          const raw = new DatabaseSync(sqlitePath);
          try {
            const result = raw
              .prepare('PRAGMA integrity_check')
              .all()
              .map((row) => ({ ...row }));
            assert.deepEqual(result, [{ integrity_check: 'ok' }]);
          } finally {
            raw.close();
          }
        }

        const storage = openStorage(t.uri);
        try {
          await storage.transaction(async (repos) => {
            const missing: string[] = [];
            for (const id of committed) {
              const user = await repos.users.lookup(asUserId(id));
              if (user === null) {
                missing.push(id);
                continue;
              }
              assert.notEqual(
                await repos.userPasswords.active(user),
                null,
                `user ${id} lost its password`,
              );
              assert.equal(
                await repos.browserSessions.countActive(user),
                1,
                `user ${id} lost its session`,
              );
            }
            assert.deepEqual(missing, [], 'committed users are missing');
          });
          // Every transaction is whole, including one in flight at the kill (kept or dropped entirely).
          const db = storage.connection.db;
          const counts = await sql<{
            users: number | string;
            passwords: number | string;
            sessions: number | string;
          }>`
            select (select count(*) from users) as users,
                   (select count(*) from user_passwords) as passwords,
                   (select count(*) from user_sessions) as sessions`.execute(db);
          const row = counts.rows[0]!;
          assert.equal(Number(row.passwords), Number(row.users));
          assert.equal(Number(row.sessions), Number(row.users));
        } finally {
          await storage.close();
        }
      } finally {
        await t.cleanup();
      }
    });
  });
}
