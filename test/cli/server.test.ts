// `gatehouse server` as an operator runs it: a real process on a config made by `config generate`.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { DatabaseSync } from 'node:sqlite';
import { createTestDatabase } from '../helpers/postgres.ts';
import { runGatehouse, waitForStatus, testConfigs } from '../helpers/server-process.ts';

const newConfig = testConfigs();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`server on ${dialect}`, () => {
    test('a generated config boots, serves health, and stops cleanly on SIGTERM', async () => {
      const config = await newConfig(
        dialect === 'postgres' ? { database: await createTestDatabase() } : {},
      );
      const server = runGatehouse(['server', '-c', config.path]);
      try {
        await waitForStatus(`http://127.0.0.1:${config.internalPort}/health/ready`, 200);
        const health = await fetch(`http://127.0.0.1:${config.internalPort}/health`);
        assert.equal(health.status, 200);
        assert.equal(await health.text(), 'ok');
        assert.equal(
          (await fetch(`http://127.0.0.1:${config.internalPort}/health/live`)).status,
          200,
        );
        // The web listener is up too (nothing is mounted on / yet: a clean 404, not a 500).
        assert.equal((await fetch(`http://127.0.0.1:${config.webPort}/no-such-page`)).status, 404);
        assert.match(server.output(), /applied database migrations/);
        assert.match(server.output(), /worker registered/);
      } finally {
        server.child.kill('SIGTERM');
      }
      assert.equal(await server.exited, 0);
      assert.match(server.output(), /"msg":"stopped"/);
      assert.doesNotMatch(server.output(), /\n\s+at /, 'no stack trace in the output');
    });
  });
}

test('a second start reuses the migrated database', async () => {
  const config = await newConfig();
  for (let run = 0; run < 2; run++) {
    const server = runGatehouse(['server', '-c', config.path, '--no-worker']);
    try {
      await waitForStatus(`http://127.0.0.1:${config.internalPort}/health/ready`, 200);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0);
    if (run === 0) assert.match(server.output(), /applied database migrations/);
    else assert.doesNotMatch(server.output(), /applied database migrations/);
    assert.doesNotMatch(server.output(), /worker registered/, '--no-worker runs no worker');
  }
});

test('the log level comes from --log-level, else GATEHOUSE_LOG', async () => {
  const config = await newConfig();
  for (const [args, env] of [
    [['--log-level', 'warn'], {}],
    [[], { GATEHOUSE_LOG: 'warn' }],
  ] as const) {
    const server = runGatehouse([...args, 'server', '-c', config.path, '--no-worker'], { env });
    try {
      await waitForStatus(`http://127.0.0.1:${config.internalPort}/health/ready`, 200);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0);
    assert.doesNotMatch(server.output(), /"level":"info"/);
    assert.match(server.output(), /"level":"warn"/, 'warnings are still logged');
  }
  const bad = runGatehouse(['server', '-c', config.path], { env: { GATEHOUSE_LOG: 'loud' } });
  assert.equal(await bad.exited, 1);
  assert.match(bad.output(), /^error: unknown log level "loud"/m);
});

test('--no-migrate refuses a database with pending migrations, in one line', async () => {
  const config = await newConfig();
  const server = runGatehouse(['server', '-c', config.path, '--no-migrate']);
  assert.equal(await server.exited, 1);
  assert.match(
    server.output(),
    /^error: the database \(SQLite .*\) has \d+ pending migration\(s\).*gatehouse database migrate/m,
  );
  assert.doesNotMatch(server.output(), /\n\s+at /);
});

test('an invalid configuration lists every problem and exits 1 without starting', async () => {
  const config = await newConfig();
  const yaml = parse(readFileSync(config.path, 'utf8')) as Record<string, Record<string, unknown>>;
  yaml.http!.public_bse = 'typo';
  yaml.database!.max_connections = 'many';
  writeFileSync(config.path, stringify(yaml));
  const server = runGatehouse(['server', '-c', config.path]);
  assert.equal(await server.exited, 1);
  assert.match(server.output(), /http\.public_bse/);
  assert.match(server.output(), /database\.max_connections/);
  assert.doesNotMatch(server.output(), /\n\s+at /);
});

test('a listener that cannot bind is a one-line error', async () => {
  const config = await newConfig();
  const blocker = runGatehouse(['server', '-c', config.path, '--no-worker']);
  try {
    await waitForStatus(`http://127.0.0.1:${config.internalPort}/health`, 200);
    const second = runGatehouse(['server', '-c', config.path, '--no-worker']);
    assert.equal(await second.exited, 1);
    assert.match(second.output(), /^error: .*address already in use/m);
    assert.doesNotMatch(second.output(), /\n\s+at /);
  } finally {
    blocker.child.kill('SIGTERM');
    await blocker.exited;
  }
});

test('kill -9 during writes: the SQLite database reopens intact and the server starts again', async () => {
  const config = await newConfig();
  const dbPath = (
    parse(readFileSync(config.path, 'utf8')) as { database: { uri: string } }
  ).database.uri.slice('sqlite:'.length);
  const first = runGatehouse(['server', '-c', config.path]);
  await waitForStatus(`http://127.0.0.1:${config.internalPort}/health/ready`, 200);
  // Give the in-process worker a burst of jobs to write, from another connection.
  const writer = new DatabaseSync(dbPath, { timeout: 5000 });
  const insert = writer.prepare(
    "INSERT INTO queue_jobs (id, queue_name, payload, metadata, status, attempt, created_at) VALUES (?, 'cleanup-expired', '{}', '{}', 'available', 0, ?)",
  );
  for (let i = 0; i < 300; i++)
    insert.run(`JOB${String(i).padStart(23, '0')}`, new Date(Date.UTC(2026, 0, 1)).toISOString());
  const completedBefore = () =>
    (
      writer.prepare("SELECT count(*) AS n FROM queue_jobs WHERE status = 'completed'").get() as {
        n: number;
      }
    ).n;
  const deadline = performance.now() + 20_000;
  while (completedBefore() < 20 && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  first.child.kill('SIGKILL');
  assert.equal(await first.exited, 'SIGKILL');
  const seen = completedBefore();
  assert.ok(seen >= 20, `the worker completed jobs before the kill (${seen})`);
  writer.close();

  const check = new DatabaseSync(dbPath);
  assert.equal(
    (check.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check,
    'ok',
  );
  const after = (
    check.prepare("SELECT count(*) AS n FROM queue_jobs WHERE status = 'completed'").get() as {
      n: number;
    }
  ).n;
  check.close();
  assert.ok(after >= seen, `nothing committed is lost (${after} >= ${seen})`);

  const second = runGatehouse(['server', '-c', config.path]);
  try {
    await waitForStatus(`http://127.0.0.1:${config.internalPort}/health/ready`, 200);
  } finally {
    second.child.kill('SIGTERM');
  }
  assert.equal(await second.exited, 0);
});
