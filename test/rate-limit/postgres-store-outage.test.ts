// The PostgreSQL rate-limit store through a real outage (a private server stopped and started
// again): the limits keep holding from memory, the outage is logged once as a warning however
// many requests fall back, its end once as info at the first answer from the database, and a
// second outage is logged again.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { rateLimitingSchema } from '../../src/config/sections/rate_limiting.ts';
import { createRateLimiter, RateLimitedError } from '../../src/rate-limit/index.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts';
import { openStorage } from '../helpers/storage.ts';

interface Line {
  readonly level: 'warn' | 'info';
  readonly details: object;
  readonly message: string;
}

function recordingLogger() {
  const lines: Line[] = [];
  return {
    lines,
    warn: (details: object, message: string) => lines.push({ level: 'warn', details, message }),
    info: (details: object, message: string) => lines.push({ level: 'info', details, message }),
  };
}

const config = rateLimitingSchema.parse({
  // Plenty of room for the steps below, except where a test exhausts it on purpose.
  login: { per_ip: { burst: 1000, per_second: 1 } },
  registration: { burst: 3, per_second: 1 / 3600 },
});

describe('PostgreSQL rate-limit store outage', () => {
  let server: PostgresServer;
  let pool: pg.Pool;

  before(async () => {
    server = await startPostgres();
    const storage = openStorage(server.url);
    try {
      await storage.migrate(); // the rate_limits table
    } finally {
      await storage.close();
    }
    pool = new pg.Pool({ connectionString: server.url, max: 2, connectionTimeoutMillis: 2000 });
    // A stopped server ends the idle connections; the pool reports that here (else it would throw).
    pool.on('error', () => {});
  });
  after(async () => {
    await pool.end();
    await server.destroy();
  });

  it('logs one warning per outage and one info line when PostgreSQL is back', async () => {
    const logger = recordingLogger();
    const rl = createRateLimiter({ config, pool, logger });
    assert.equal(rl.storeKind, 'postgres');
    await rl.checkLogin('192.0.2.1', 'alice');
    assert.equal(logger.lines.length, 0);

    await server.stop();
    // Many requests during the outage, on several limiters: still limited, one warning.
    for (let i = 0; i < 5; i++) await rl.checkLogin('192.0.2.1', 'alice');
    for (let i = 0; i < 3; i++) await rl.checkRegistration('198.51.100.1');
    await assert.rejects(rl.checkRegistration('198.51.100.1'), RateLimitedError);
    assert.equal(logger.lines.length, 1, JSON.stringify(logger.lines));
    assert.equal(logger.lines[0]!.level, 'warn');
    assert.match(logger.lines[0]!.message, /PostgreSQL is unreachable/);
    assert.deepEqual((logger.lines[0]!.details as { store: string }).store, 'postgres');

    await server.start();
    await rl.checkLogin('192.0.2.1', 'alice');
    await rl.checkLogin('192.0.2.1', 'alice');
    assert.deepEqual(
      logger.lines.map((line) => line.level),
      ['warn', 'info'],
    );
    assert.match(logger.lines[1]!.message, /PostgreSQL is reachable again/);
    // Shared counters again: the row is in the table.
    const rows = await pool.query<{ key: string }>(
      "select key from rate_limits where key like 'login.per_ip:%'",
    );
    assert.equal(rows.rowCount, 1);

    // A second outage is reported again.
    await server.stop();
    await rl.checkLogin('192.0.2.1', 'alice');
    await server.start();
    await rl.checkLogin('192.0.2.1', 'alice');
    assert.deepEqual(
      logger.lines.map((line) => line.level),
      ['warn', 'info', 'warn', 'info'],
    );
  });
});
