// Wake-ups for idle workers. On PostgreSQL a trigger (migration 0002_queue) sends `NOTIFY
// queue_available, '<queue name>'` whenever a job becomes available; a worker LISTENs on a
// connection of its own (outside the pool, so a pool busy with jobs never delays it) and claims at
// once instead of waiting for its next poll. Polling goes on regardless: notifications are a
// shortcut, never the only way jobs are found, so a lost connection only costs latency.

import { createRequire } from 'node:module';
import type pg from 'pg';
import type { WorkerLog } from './queue.ts';

export const QUEUE_CHANNEL = 'queue_available';

export interface WakeUpSource {
  /** Starts delivering wake-ups; resolves once listening (or once the first attempt failed). */
  start(onWake: (queueName: string) => void): Promise<void>;
  stop(): Promise<void>;
}

const RECONNECT_MS = 5000;

/** LISTEN on a dedicated connection made with the pool's settings; reconnects after errors. */
export function postgresWakeUps(pool: pg.Pool, log: WorkerLog): WakeUpSource {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (onWake: (queueName: string) => void): Promise<void> => {
    if (stopped) return;
    // pg is already loaded when a pool exists (see connectDatabase); require returns it.
    const c = new (createRequire(import.meta.url)('pg') as typeof pg).Client(pool.options);
    const reconnect = (error?: Error) => {
      if (client !== c) return;
      client = null;
      void c.end().catch(() => {});
      if (stopped) return;
      log('warn', 'lost the queue notification connection; polling until it is back', {
        error: error?.message,
      });
      retry = setTimeout(() => void connect(onWake), RECONNECT_MS);
    };
    c.on('error', reconnect);
    c.on('end', () => reconnect());
    c.on('notification', (message) => {
      if (message.channel === QUEUE_CHANNEL) onWake(message.payload ?? '');
    });
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${QUEUE_CHANNEL}`);
    } catch (error) {
      reconnect(error as Error);
    }
  };

  return {
    start: (onWake) => connect(onWake),
    async stop() {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      const c = client;
      client = null;
      if (c !== null) await c.end().catch(() => {});
    },
  };
}
