import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import {
  postgresListener,
  type NotificationListener,
} from '../../src/services/postgres-listener.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

describe('postgresListener (real PostgreSQL)', () => {
  const pools: pg.Pool[] = [];
  // Stopped here too, not only in each test's `finally`: a test that times out never reaches it,
  // and a listener's open connection would keep this file's process (and the suite) waiting.
  const listeners: NotificationListener[] = [];
  after(async () => {
    for (const listener of listeners) await listener.stop();
    for (const pool of pools) await pool.end();
  });

  it(
    'delivers overlapping publications in order, one query at a time on its connection',
    { timeout: 20_000 },
    async () => {
      // pg warns (once per process) when a query is sent while another runs on the same client.
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.message);
      process.on('warning', onWarning);
      const pool = new pg.Pool({ connectionString: await createTestDatabase('listener') });
      pools.push(pool);
      const onLost = () => {};
      const receiver = postgresListener(pool, 'gatehouse_test', { onLost });
      const sender = postgresListener(pool, 'gatehouse_test', { onLost });
      listeners.push(receiver, sender);
      const received: string[] = [];
      let allReceived!: () => void;
      const all = new Promise<void>((resolve) => (allReceived = resolve));
      // Listening before anything is sent: a NOTIFY sent before LISTEN reaches nobody.
      await receiver.start((payload) => {
        received.push(payload);
        if (received.length === 40) allReceived();
      });
      await sender.start(() => {});
      try {
        // As concurrent token requests do: every publish starts before any has finished.
        const payloads = Array.from({ length: 40 }, (_, i) => `message ${i}`);
        await Promise.all(payloads.map((payload) => sender.publish(payload)));
        await all;
        assert.deepEqual(received, payloads);
        // Let a warning emitted on the last query surface before checking.
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(
          warnings.filter((message) => message.includes('already executing a query')),
          [],
        );
      } finally {
        process.off('warning', onWarning);
        await receiver.stop();
        await sender.stop();
      }
    },
  );

  it(
    'publishes nothing once stopped, and a failed publication does not block the next',
    { timeout: 20_000 },
    async () => {
      const pool = new pg.Pool({ connectionString: await createTestDatabase('listener') });
      pools.push(pool);
      const receiver = postgresListener(pool, 'gatehouse_test2', { onLost: () => {} });
      const sender = postgresListener(pool, 'gatehouse_test2', { onLost: () => {} });
      listeners.push(receiver, sender);
      const received: string[] = [];
      await receiver.start((payload) => received.push(payload));
      await sender.start(() => {});
      try {
        // A payload over PostgreSQL's 8000-byte limit is refused by the server.
        await assert.rejects(sender.publish('x'.repeat(9000)), /payload string too long/);
        const delivered = new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (received.includes('after')) {
              clearInterval(timer);
              resolve();
            }
          }, 10);
        });
        await sender.publish('after');
        await delivered;
        assert.deepEqual(received, ['after']);
      } finally {
        await sender.stop();
        await sender.publish('ignored');
        await receiver.stop();
      }
      assert.deepEqual(received, ['after']);
    },
  );
});
