// LISTEN on one PostgreSQL notification channel, on a dedicated connection made with the pool's
// settings (outside the pool, so a busy pool never delays a notification). A lost connection is
// retried after a pause; callers must not rely on notifications alone (they are a shortcut to
// something that is also polled or expires), since any sent while the connection is down are lost.
//
// Used by the worker's wake-ups (../worker/notifications.ts), the introspection cache's
// cross-node invalidations (./revocation-channel.ts) and policy data reloads
// (./policy-data-service.ts). To listen on another channel, call `postgresListener` with its name.

import { createRequire } from 'node:module';
import type pg from 'pg';

export interface NotificationListener {
  /** Starts delivering payloads; resolves once listening (or once the first attempt failed). */
  start(onMessage: (payload: string) => void): Promise<void>;
  /**
   * `pg_notify(channel, payload)` on the listener's own connection, not the pool: a caller inside
   * a transaction holds a pooled connection, and a pool full of such callers would wait on itself.
   * Does nothing while the connection is down; rejects when the server refuses it.
   */
  publish(payload: string): Promise<void>;
  stop(): Promise<void>;
}

export interface ListenerOptions {
  /** Called when the connection is lost (or cannot be made), before each retry. */
  readonly onLost: (error: Error | undefined) => void;
  readonly reconnectMs?: number;
}

const RECONNECT_MS = 2000;

export function postgresListener(
  pool: pg.Pool,
  channel: string,
  options: ListenerOptions,
): NotificationListener {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name: ${channel}`);
  const reconnectMs = options.reconnectMs ?? RECONNECT_MS;
  /** The current connection, from its start until it is lost or stopped. */
  let client: pg.Client | null = null;
  /** The same connection once LISTEN succeeded: what `publish` sends on. */
  let listening: pg.Client | null = null;
  /**
   * Publications go one at a time: pg queues overlapping queries on a client itself, but that use
   * is deprecated (a warning now, an error in pg 9), and concurrent token requests each publish.
   */
  let publications: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (onMessage: (payload: string) => void): Promise<void> => {
    if (stopped) return;
    // pg is already loaded when a pool exists (see connectDatabase); require returns it.
    const c = new (createRequire(import.meta.url)('pg') as typeof pg).Client(pool.options);
    const reconnect = (error?: Error) => {
      if (client !== c) return;
      client = null;
      listening = null;
      void c.end().catch(() => {});
      if (stopped) return;
      options.onLost(error);
      retry = setTimeout(() => void connect(onMessage), reconnectMs);
      retry.unref();
    };
    c.on('error', reconnect);
    c.on('end', () => reconnect());
    c.on('notification', (message) => {
      if (message.channel === channel) onMessage(message.payload ?? '');
    });
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      if (client === c) listening = c;
    } catch (error) {
      reconnect(error as Error);
    }
  };

  return {
    start: (onMessage) => connect(onMessage),
    async publish(payload) {
      const c = listening;
      if (c === null) return;
      const sent = publications.then(() => c.query('select pg_notify($1, $2)', [channel, payload]));
      publications = sent.catch(() => {});
      await sent;
    },
    async stop() {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      const c = client;
      client = null;
      listening = null;
      if (c !== null) await c.end().catch(() => {});
    },
  };
}
