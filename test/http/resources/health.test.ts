import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { databaseSchema } from '../../../src/config/sections/database.ts';
import { SqlStorage } from '../../../src/storage/sql/sql-storage.ts';
import { startPostgres } from '../../helpers/postgres.ts';
import { request, startTestServers, tcpListener } from '../http-test-kit.ts';

const health = [{ name: 'health' }];

async function withSqlite(work: (storage: SqlStorage) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-health-'));
  const storage = SqlStorage.open(databaseSchema.parse({ uri: `sqlite:${join(dir, 'gh.db')}` }));
  try {
    await work(storage);
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function statuses(address: string): Promise<Record<string, [number, string]>> {
  const out: Record<string, [number, string]> = {};
  for (const path of ['/health', '/health/live', '/health/ready']) {
    const res = await request(address, path);
    out[path] = [res.status, res.text];
  }
  return out;
}

describe('health resource', () => {
  it('reports ok on a migrated SQLite database', async () => {
    await withSqlite(async (storage) => {
      await storage.migrate();
      const t = await startTestServers(tcpListener(health), { health: storage });
      try {
        assert.deepEqual(await statuses(t.address()), {
          '/health': [200, 'ok'],
          '/health/live': [200, 'ok'],
          '/health/ready': [200, 'ok'],
        });
        const res = await request(t.address(), '/health');
        assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
        assert.equal(res.headers['cache-control'], 'no-store');
      } finally {
        await t.close();
      }
    });
  });

  it('is not ready while migrations are pending, and ready once they are applied', async () => {
    await withSqlite(async (storage) => {
      const t = await startTestServers(tcpListener(health), { health: storage });
      try {
        const before = await statuses(t.address());
        assert.deepEqual(before['/health'], [200, 'ok']);
        assert.deepEqual(before['/health/live'], [200, 'ok']);
        assert.equal(before['/health/ready']![0], 503);
        assert.match(
          before['/health/ready']![1],
          /^not ready: \d+ database migration\(s\) pending$/,
        );
        await storage.migrate();
        assert.deepEqual((await statuses(t.address()))['/health/ready'], [200, 'ok']);
      } finally {
        await t.close();
      }
    });
  });

  it('follows PostgreSQL going away and coming back, without a restart', async () => {
    const pg = await startPostgres();
    const storage = SqlStorage.open(databaseSchema.parse({ uri: pg.url, connect_timeout: 5 }));
    const t = await startTestServers(tcpListener(health), { health: storage });
    try {
      await storage.migrate();
      assert.deepEqual(await statuses(t.address()), {
        '/health': [200, 'ok'],
        '/health/live': [200, 'ok'],
        '/health/ready': [200, 'ok'],
      });

      await pg.stop();
      assert.deepEqual(await statuses(t.address()), {
        '/health': [503, 'database unreachable'],
        '/health/live': [200, 'ok'],
        '/health/ready': [503, 'not ready: database unreachable'],
      });
      assert.ok(t.logs.lines.some((l) => l.msg === 'readiness check: database unreachable'));

      await pg.start();
      assert.deepEqual(await statuses(t.address()), {
        '/health': [200, 'ok'],
        '/health/live': [200, 'ok'],
        '/health/ready': [200, 'ok'],
      });
    } finally {
      await t.close();
      await storage.close();
      await pg.destroy();
    }
  });
});
