// Wake-ups for idle workers. On PostgreSQL a trigger (migration 0002_queue) sends `NOTIFY
// queue_available, '<queue name>'` whenever a job becomes available; a worker LISTENs on a
// connection of its own (outside the pool, so a pool busy with jobs never delays it) and claims at
// once instead of waiting for its next poll. Polling goes on regardless: notifications are a
// shortcut, never the only way jobs are found, so a lost connection only costs latency.

import type pg from 'pg';
import { postgresListener } from '../services/postgres-listener.ts';
import type { WorkerLog } from './queue.ts';

export const QUEUE_CHANNEL = 'queue_available';

export interface WakeUpSource {
  /** Starts delivering wake-ups; resolves once listening (or once the first attempt failed). */
  start(onWake: (queueName: string) => void): Promise<void>;
  stop(): Promise<void>;
}

/** LISTEN on a dedicated connection made with the pool's settings; reconnects after errors. */
export function postgresWakeUps(pool: pg.Pool, log: WorkerLog): WakeUpSource {
  const listener = postgresListener(pool, QUEUE_CHANNEL, {
    reconnectMs: 5000,
    onLost: (error) =>
      log('warn', 'lost the queue notification connection; polling until it is back', {
        error: error?.message,
      }),
  });
  return { start: (onWake) => listener.start(onWake), stop: () => listener.stop() };
}
