// Cross-node invalidation of the introspection cache (./introspection-cache.ts) on PostgreSQL:
// invalidations are sent with `pg_notify('gatehouse_token_revoked', …)` and received on one
// dedicated connection (outside the pool, as the worker's wake-ups, so a busy
// pool never delays them). A lost listener connection is retried; while it is down every cached
// entry still expires within the cache's short TTL.

import { createRequire } from 'node:module';
import type pg from 'pg';
import type { Logger } from '../telemetry/logger.ts';
import type { RevocationChannel } from './introspection-cache.ts';

export const REVOCATION_CHANNEL = 'gatehouse_token_revoked';

const RECONNECT_MS = 2000;

export function postgresRevocationChannel(pool: pg.Pool, logger: Logger): RevocationChannel {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (onMessage: (message: string) => void): Promise<void> => {
    if (stopped) return;
    // pg is already loaded when a pool exists (see connectDatabase); require returns it.
    const c = new (createRequire(import.meta.url)('pg') as typeof pg).Client(pool.options);
    const reconnect = (error?: Error) => {
      if (client !== c) return;
      client = null;
      void c.end().catch(() => {});
      if (stopped) return;
      logger.warn(
        { error: error?.message },
        'lost the token revocation listener; cached introspections expire by TTL until it is back',
      );
      retry = setTimeout(() => void connect(onMessage), RECONNECT_MS);
    };
    c.on('error', reconnect);
    c.on('end', () => reconnect());
    c.on('notification', (message) => {
      if (message.channel === REVOCATION_CHANNEL) onMessage(message.payload ?? '');
    });
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${REVOCATION_CHANNEL}`);
    } catch (error) {
      reconnect(error as Error);
    }
  };

  return {
    subscribe: (onMessage) => connect(onMessage),
    async publish(message) {
      // Sent on the listener's own connection, not the pool: the caller is inside a transaction
      // that holds a pooled connection, and a pool full of such callers would wait on itself.
      const c = client;
      if (c === null) return;
      await c.query('select pg_notify($1, $2)', [REVOCATION_CHANNEL, message]).catch((error) => {
        logger.warn({ error: (error as Error).message }, 'could not broadcast a token revocation');
      });
    },
    async stop() {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      const c = client;
      client = null;
      if (c !== null) await c.end().catch(() => {});
    },
  };
}
