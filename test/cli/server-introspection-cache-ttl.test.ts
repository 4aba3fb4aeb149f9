// `oauth.introspection_cache_ttl` reaches the running server: with the default, an answer given a
// moment ago is given again from memory; with 0, every question reads the database. Shown on
// PostgreSQL with a change made behind the server's back (plain SQL, no notification), which only
// the database can tell: on SQLite the server would notice another connection's commit anyway.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { createTestDatabase } from '../helpers/postgres.ts';
import {
  activeForHomeserverAt,
  runGatehouse,
  testConfigs,
  waitForStatus,
} from '../helpers/server-process.ts';

const newConfig = testConfigs();

async function run(args: string[]): Promise<string> {
  const command = runGatehouse(args);
  const code = await command.exited;
  assert.equal(code, 0, command.output());
  return command.output();
}

describe('oauth.introspection_cache_ttl (postgres)', () => {
  for (const [ttl, answerAfterLock] of [
    [undefined, true],
    [0, false],
  ] as const) {
    test(`${ttl === undefined ? 'the default keeps' : '0 keeps no'} answers in memory`, async () => {
      const database = await createTestDatabase();
      const config = await newConfig({ database });
      const doc = parse(readFileSync(config.path, 'utf8')) as Record<
        string,
        Record<string, unknown>
      >;
      if (ttl !== undefined) doc.oauth = { ...doc.oauth, introspection_cache_ttl: ttl };
      writeFileSync(config.path, stringify(doc));
      const secret = (doc.matrix as { secret: string }).secret;

      await run(['-c', config.path, 'database', 'migrate']);
      await run(['-c', config.path, 'manage', 'register-user', 'alice', '--yes', '--no-admin']);
      const output = await run([
        '-c',
        config.path,
        'manage',
        'issue-personal-token',
        'alice',
        '--name',
        'ttl test',
      ]);
      const token = /mpt_\S+/.exec(output)![0];

      const server = runGatehouse(['-c', config.path, 'server', '--no-worker']);
      const db = new pg.Client({ connectionString: database });
      try {
        const base = `http://127.0.0.1:${config.webPort}`;
        await waitForStatus(`http://127.0.0.1:${config.internalPort}/health/ready`, 200);
        assert.equal(await activeForHomeserverAt(`${base}/oauth2/introspect`, secret, token), true);
        // Locked behind the server's back: no invalidation, no notification.
        await db.connect();
        await db.query(`update users set locked_at = now() where username = 'alice'`);
        // Asked again at once (cache entries live at least half the 5 s default).
        assert.equal(
          await activeForHomeserverAt(`${base}/oauth2/introspect`, secret, token),
          answerAfterLock,
        );
      } finally {
        await db.end();
        server.child.kill('SIGTERM');
        await server.exited;
      }
    });
  }
});
