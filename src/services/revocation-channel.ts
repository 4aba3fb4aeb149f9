// Cross-node invalidation of the introspection cache (./introspection-cache.ts) on PostgreSQL:
// invalidations are sent with `pg_notify('gatehouse_token_revoked', …)` and received on one
// dedicated connection (./postgres-listener.ts). While that connection is down every cached entry
// still expires within the cache's short TTL.

import type pg from 'pg';
import type { Logger } from '../telemetry/logger.ts';
import type { RevocationChannel } from './introspection-cache.ts';
import { postgresListener } from './postgres-listener.ts';

export const REVOCATION_CHANNEL = 'gatehouse_token_revoked';

export function postgresRevocationChannel(pool: pg.Pool, logger: Logger): RevocationChannel {
  const listener = postgresListener(pool, REVOCATION_CHANNEL, {
    onLost: (error) =>
      logger.warn(
        { error: error?.message },
        'lost the token revocation listener; cached introspections expire by TTL until it is back',
      ),
  });
  return {
    subscribe: (onMessage) => listener.start(onMessage),
    async publish(message) {
      await listener.publish(message).catch((error) => {
        logger.warn({ error: (error as Error).message }, 'could not broadcast a token revocation');
      });
    },
    stop: () => listener.stop(),
  };
}
