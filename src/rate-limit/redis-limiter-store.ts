// The Redis store (`rate_limiting.store: {kind: redis, url}`): every node's limiters count in one
// Redis, through rate-limiter-flexible's Redis limiter (one atomic Lua increment per action) on
// an ioredis client. ioredis is loaded only when this store is chosen (it costs ~0.1 s at start).
//
// Redis down: like the PostgreSQL store, each limiter falls back to an in-memory "insurance"
// limiter with the same spec, so the limits still hold, per node, until Redis is back. A sign-in
// is never refused wholesale because Redis is gone (Authelia and Keycloak users expect a cache
// outage not to lock everyone out) and never let through unlimited. Requests do not wait for a
// dead Redis: commands are not queued while disconnected and time out after `COMMAND_TIMEOUT_MS`.
// The first fallback of an outage is logged as a warning, the reconnection as info.
//
// Keys: `<key_prefix><limiter name>:<key>`, e.g. `gatehouse:rate-limit:login.per_ip:192.0.2.1`,
// each with the limiter's window as its TTL (Redis expires them; nothing to sweep).

import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { LimiterSpec } from './limiter-spec.ts';
import type { LimiterStore } from './limiter-store.ts';
import { FallbackLimiter, type StoreLogger } from './store-outage.ts';

/** How long one Redis command may take before the limiter answers from memory instead. */
const COMMAND_TIMEOUT_MS = 1000;
/** How long start-up waits for the first connection before running on the fallback. */
const CONNECT_WAIT_MS = 5000;

export type { StoreLogger } from './store-outage.ts';

export interface RedisStoreOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly logger: StoreLogger;
}

/**
 * Connects to Redis. A server that is not up yet is not fatal: the limiters count in memory and
 * switch to Redis once it answers (ioredis keeps reconnecting).
 */
export async function redisLimiterStore(options: RedisStoreOptions): Promise<LimiterStore> {
  const { Redis } = await import('ioredis');
  const { logger } = options;
  const where = redactedUrl(options.url);
  const client = new Redis(options.url, {
    // Fail fast instead of holding requests while Redis is away: no offline queue, one retry of a
    // command cut by a dropped connection, a bound on a stalled one.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_WAIT_MS,
    lazyConnect: false,
  });

  let degraded = false;
  const fallBack = (reason: string) => {
    if (degraded) return;
    degraded = true;
    logger.warn(
      { redis: where, reason },
      'rate limits: Redis is unreachable; each node counts in its own memory until it is back',
    );
  };
  client.on('error', (error: Error) => fallBack(error.message));
  client.on('ready', () => {
    if (!degraded) return;
    degraded = false;
    logger.info({ redis: where }, 'rate limits: Redis is reachable again; limits are shared again');
  });

  // Start-up waits for the first connection, its first failure (logged by the 'error' handler),
  // or `CONNECT_WAIT_MS`, whichever comes first.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      fallBack(`no connection within ${CONNECT_WAIT_MS} ms at start-up`);
      resolve();
    }, CONNECT_WAIT_MS);
    const settle = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', settle);
    client.once('error', settle);
  });

  return {
    kind: 'redis',
    create(name, spec) {
      return new RateLimiterRedis({
        storeClient: client,
        // Answer from memory at once while disconnected, instead of waiting for a reconnection.
        rejectIfRedisNotReady: true,
        keyPrefix: `${options.keyPrefix}${name}`,
        ...redisSpec(spec),
        insuranceLimiter: new FallbackLimiter({ keyPrefix: name, ...spec }, (reason) =>
          fallBack(`${name}: ${reason}`),
        ),
      });
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * Redis keys expire in whole seconds (the library floors the window to seconds, and a window
 * under one second would get no expiry at all), so the window is rounded up to the next second.
 */
export function redisSpec(spec: LimiterSpec): LimiterSpec {
  return { points: spec.points, duration: Math.max(1, Math.ceil(spec.duration)) };
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
