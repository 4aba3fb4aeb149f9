// The Redis rate-limit store on a real redis-server: two limiters on one Redis (as two nodes
// would be) share every counter, including the account budget behind the sign-in slow-down;
// while Redis is down each limiter keeps limiting in its own memory and says so once in the log;
// the `rate_limiting.store` key is checked.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { rateLimitingSchema } from '../../src/config/sections/rate_limiting.ts';
import { openRateLimiter, RateLimitedError, type RateLimiter } from '../../src/rate-limit/index.ts';
import type { StoreLogger } from '../../src/rate-limit/redis-limiter-store.ts';
import { freePort } from '../helpers/postgres.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

interface Line {
  level: 'warn' | 'info';
  message: string;
  details: object;
}

function recordingLogger(): StoreLogger & { lines: Line[] } {
  const lines: Line[] = [];
  return {
    lines,
    warn: (details, message) => lines.push({ level: 'warn', message, details }),
    info: (details, message) => lines.push({ level: 'info', message, details }),
  };
}

async function refused(check: Promise<unknown>, limiter: string): Promise<RateLimitedError> {
  const error = await check.then(
    () => assert.fail(`expected ${limiter} to refuse`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof RateLimitedError, String(error));
  assert.equal(error.limiter, limiter);
  return error;
}

describe('RateLimiter (Redis)', () => {
  let redis: RedisServer;
  const opened: RateLimiter[] = [];
  let prefixes = 0;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const limiter of opened) await limiter.close();
    await redis?.destroy();
  });

  /** A limiter on the test Redis; `prefix` separates the tests' keys. */
  async function node(
    prefix: string,
    extra: Record<string, unknown> = {},
    slept: number[] = [],
    logger = recordingLogger(),
  ): Promise<RateLimiter> {
    const config = rateLimitingSchema.parse({
      store: { kind: 'redis', url: redis.url, key_prefix: prefix },
      ...extra,
    });
    const limiter = await openRateLimiter({
      config,
      pool: null,
      logger,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    opened.push(limiter);
    return limiter;
  }
  const freshPrefix = () => `test-${++prefixes}:`;

  it('shares the per-address counters between nodes, keyed under the prefix', async () => {
    const prefix = freshPrefix();
    const nodeA = await node(prefix);
    const nodeB = await node(prefix);
    assert.equal(nodeA.storeKind, 'redis');
    await nodeA.checkLogin('192.0.2.1', 'alice');
    await nodeB.checkLogin('192.0.2.1', 'bob');
    await nodeA.checkLogin('192.0.2.1', 'carol');
    const error = await refused(nodeB.checkLogin('192.0.2.1', 'dave'), 'login.per_ip');
    assert.ok(error.retryAfterMs > 55_000 && error.retryAfterMs <= 60_000, `${error.retryAfterMs}`);
    // Another address is not affected.
    await nodeB.checkLogin('192.0.2.2', 'alice');

    const client = new Redis(redis.url);
    try {
      assert.equal(await client.get(`${prefix}login.per_ip:192.0.2.1`), '4');
      const ttl = await client.pttl(`${prefix}login.per_ip:192.0.2.1`);
      assert.ok(ttl > 55_000 && ttl <= 60_000, `ttl ${ttl}`);
    } finally {
      client.disconnect();
    }
  });

  it('slows sign-in on every node once the account budget is spent on one', async () => {
    const prefix = freshPrefix();
    // An account budget of 3: spent from three addresses through node A.
    const extra = { login: { per_account: { burst: 3, per_second: 3 / 3600 } } };
    const sleptA: number[] = [];
    const sleptB: number[] = [];
    const nodeA = await node(prefix, extra, sleptA);
    const nodeB = await node(prefix, extra, sleptB);
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      assert.equal((await nodeA.checkLogin(ip, 'alice')).slowedMs, 0);
    }
    // The owner, from a fresh address on the other node, gets in, held back.
    const check = await nodeB.checkLogin('198.51.100.7', 'Alice');
    assert.ok(check.slowedMs > 0);
    assert.deepEqual(sleptB, [check.slowedMs]);
    assert.deepEqual(sleptA, []);
    // A correct password gives its attempt back to the account's shared budget.
    const client = new Redis(redis.url);
    try {
      const key = `${prefix}login.per_account_global:alice`;
      assert.equal(await client.get(key), '4');
      await nodeB.loginSucceeded('198.51.100.7', 'alice');
      assert.equal(await client.get(key), '3');
    } finally {
      client.disconnect();
    }
  });

  it('keeps limiting in memory while Redis is down, and shares again when it is back', async () => {
    const prefix = freshPrefix();
    const logger = recordingLogger();
    const rl = await node(prefix, {}, [], logger);
    assert.equal(logger.lines.length, 0, JSON.stringify(logger.lines));
    await redis.stop();
    try {
      // Limits still hold (per node), and no check waits for the dead server.
      for (let i = 0; i < 3; i++) await rl.checkRegistration('192.0.2.1');
      await refused(rl.checkRegistration('192.0.2.1'), 'registration');
      const warnings = logger.lines.filter((l) => l.level === 'warn');
      assert.equal(warnings.length, 1, JSON.stringify(logger.lines));
      assert.match(warnings[0]!.message, /Redis is unreachable/);
      assert.doesNotMatch(JSON.stringify(warnings[0]!.details), /password/);
    } finally {
      await redis.start();
    }
    // Back up (empty: no persistence): the counters are Redis's again.
    const deadline = performance.now() + 10_000;
    while (!logger.lines.some((l) => l.level === 'info') && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(logger.lines.at(-1)!.message, /reachable again/);
    const other = await node(prefix);
    for (let i = 0; i < 3; i++) await rl.checkRegistration('192.0.2.9');
    await refused(other.checkRegistration('192.0.2.9'), 'registration');
  });

  it('starts when Redis is not there yet, limiting in memory', async () => {
    const logger = recordingLogger();
    const port = await freePort();
    const config = rateLimitingSchema.parse({
      store: { kind: 'redis', url: `redis://:s3cret@127.0.0.1:${port}/0` },
    });
    const rl = await openRateLimiter({ config, pool: null, logger });
    opened.push(rl);
    assert.equal(logger.lines.length, 1);
    assert.equal(logger.lines[0]!.level, 'warn');
    assert.doesNotMatch(JSON.stringify(logger.lines[0]!.details), /s3cret/);
    for (let i = 0; i < 3; i++) await rl.checkRegistration('192.0.2.1');
    await refused(rl.checkRegistration('192.0.2.1'), 'registration');
  });

  it('reads the URL from url_file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-url-'));
    try {
      const file = join(dir, 'url');
      writeFileSync(file, `${redis.url}\n`);
      const logger = recordingLogger();
      const config = rateLimitingSchema.parse({
        store: { kind: 'redis', url_file: file, key_prefix: freshPrefix() },
      });
      const rl = await openRateLimiter({ config, pool: null, logger });
      opened.push(rl);
      assert.equal(rl.storeKind, 'redis');
      assert.equal(logger.lines.length, 0, JSON.stringify(logger.lines));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rate_limiting.store', () => {
  it('defaults to the database and keeps MAS configs unchanged', () => {
    assert.equal(rateLimitingSchema.parse({}).store, undefined);
    assert.deepEqual(rateLimitingSchema.parse({ store: { kind: 'memory' } }).store, {
      kind: 'memory',
    });
  });

  it('fills in the Redis key prefix', () => {
    const parsed = rateLimitingSchema.parse({
      store: { kind: 'redis', url: 'rediss://:pw@cache.example.com:6380/2' },
    });
    assert.deepEqual(parsed.store, {
      kind: 'redis',
      url: 'rediss://:pw@cache.example.com:6380/2',
      key_prefix: 'gatehouse:rate-limit:',
    });
  });

  it('refuses a Redis store without exactly one URL, a non-Redis URL or an unknown kind', () => {
    const problems = (store: unknown) =>
      rateLimitingSchema
        .safeParse({ store })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(problems({ kind: 'redis' }), ['store.url: missing: set `url` or `url_file`']);
    assert.deepEqual(problems({ kind: 'redis', url: 'redis://a', url_file: '/x' }), [
      'store.url_file: set `url` or `url_file`, not both',
    ]);
    assert.deepEqual(problems({ kind: 'redis', url: 'http://cache:6379' }), [
      'store.url: expected a redis:// or rediss:// URL',
    ]);
    assert.ok(problems({ kind: 'memcached' })!.length > 0);
  });
});
