// `gatehouse worker` through the real command line: it refuses a database with pending
// migrations in one line, and as a process it runs until SIGTERM, then stops gracefully.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { createEmptyDatabase, openStorage, type TestDialect } from '../helpers/storage.ts';
import { eventually } from './worker-processes.ts';

const ENCRYPTION_KEY = '0123456789abcdef'.repeat(4);
const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

describe('gatehouse worker', () => {
  let dir: string;
  const cleanups: Array<() => void | Promise<void>> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-worker-'));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  async function configFor(
    dialect: TestDialect,
    migrated: boolean,
  ): Promise<{ file: string; uri: string }> {
    const { uri, remove } = await createEmptyDatabase(dialect);
    cleanups.push(remove);
    if (migrated) {
      const storage = openStorage(uri);
      await storage.migrate();
      await storage.close();
    }
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      JSON.stringify({ database: { uri }, secrets: { encryption: ENCRYPTION_KEY } }),
    );
    return { file, uri };
  }

  it('refuses to run on a database with pending migrations', { timeout: 30_000 }, async () => {
    const { file } = await configFor('sqlite', false);
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['worker', '-c', file],
      { env: {}, cwd: dir },
      { out: (s) => out.push(s), err: (s) => err.push(s) },
    );
    assert.equal(code, 1);
    assert.equal(err.length, 1, err.join('\n'));
    assert.match(
      err[0]!,
      /^error: the database \(SQLite .*\) has \d+ pending migration\(s\) \(0001_.*\); run `gatehouse database migrate` first$/,
    );
  });

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(
      `runs until SIGTERM, then records its shutdown and exits 0 (${dialect})`,
      { timeout: 45_000 },
      async () => {
        const { file, uri } = await configFor(dialect, true);
        const child = spawn(process.execPath, [BIN, 'worker', '-c', file], {
          cwd: dir,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const exited = once(child, 'exit');
        cleanups.push(async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGKILL');
            await exited;
          }
        });
        let logs = '';
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));

        const storage = openStorage(uri);
        cleanups.push(() => storage.close());
        const workerRow = await eventually('the worker to register and lead', 30_000, async () => {
          if (child.exitCode !== null) throw new Error(`the worker exited early: ${logs}`);
          const leader = await storage.connection.db
            .selectFrom('queue_leader')
            .selectAll()
            .executeTakeFirst();
          return leader;
        });
        // Its schedules are in place: the cleanup job waits for its next slot.
        const scheduled = await eventually('the cleanup job to be scheduled', 10_000, async () =>
          storage.connection.db
            .selectFrom('queue_jobs')
            .selectAll()
            .where('queue_name', '=', 'cleanup-expired')
            .executeTakeFirst(),
        );
        assert.equal(scheduled.status, 'scheduled');

        child.kill('SIGTERM');
        const [code] = (await exited) as [number | null];
        assert.equal(code, 0, logs);
        const row = await storage.connection.db
          .selectFrom('queue_workers')
          .selectAll()
          .where('id', '=', workerRow.queue_worker_id)
          .executeTakeFirstOrThrow();
        assert.notEqual(row.shutdown_at, null);
        assert.deepEqual(
          await storage.connection.db.selectFrom('queue_leader').selectAll().execute(),
          [],
        );
        const lines = logs
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { msg: string });
        assert.ok(lines.some((l) => l.msg === 'worker started'));
        assert.ok(lines.some((l) => l.msg === 'stopping the worker'));
      },
    );
  }
});
