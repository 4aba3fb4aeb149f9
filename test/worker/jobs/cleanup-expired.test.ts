// `cleanup-expired`, run by a real Worker on both dialects: finished queue jobs and browser
// sessions older than 30 days go, younger and unfinished ones stay; and the job is on the worker's
// schedule.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../../src/clock.ts';
import { SeededRng } from '../../../src/rng.ts';
import { parseCron } from '../../../src/worker/cron.ts';
import { CLEANUP_EXPIRED_QUEUE } from '../../../src/worker/jobs/cleanup-expired.ts';
import { jobRegistry, jobSchedules } from '../../../src/worker/jobs/index.ts';
import { Worker } from '../../../src/worker/worker.ts';
import { dialects, openTestStorage, type TestStorage } from '../../helpers/storage.ts';
import { eventually } from '../worker-processes.ts';
import { providerFields } from '../../upstream/provider-fixtures.ts';
import { asUpstreamOAuthProviderId } from '../../../src/model/upstream-oauth.ts';

const DAY = 24 * 3600 * 1000;

for (const dialect of dialects) {
  describe(`cleanup-expired (${dialect})`, () => {
    let t: TestStorage;
    let worker: Worker | null = null;
    beforeEach(async () => {
      t = await openTestStorage(dialect);
    });
    afterEach(async () => {
      await worker?.kill();
      worker = null;
      await t.cleanup();
    });

    it(
      'deletes queue jobs and browser sessions that finished more than 30 days ago',
      { timeout: 30_000 },
      async () => {
        const clock = new MockClock('2026-01-01T00:00:00.000Z');
        const rng = new SeededRng('cleanup');
        const finishedJob = async () =>
          t.storage.transaction(async (r) => {
            const job = await r.queue.enqueue(rng, clock, 'done', {});
            const owner = await r.queue.registerWorker(rng, clock);
            await r.queue.claim(clock, owner.id, ['done'], 1);
            await r.queue.complete(clock, job.id);
            return job;
          });
        const user = await t.storage.transaction(
          async (r) => (await r.users.add(rng, clock, 'alice'))!,
        );
        const finishedSession = () =>
          t.storage.transaction(async (r) =>
            r.browserSessions.finish(clock, await r.browserSessions.add(rng, clock, user)),
          );
        const old = await finishedJob();
        const oldSession = await finishedSession();
        const pending = await t.storage.transaction((r) =>
          r.queue.enqueue(rng, clock, 'never-run', {}),
        );
        const openSession = await t.storage.transaction((r) =>
          r.browserSessions.add(rng, clock, user),
        );
        const providerId = asUpstreamOAuthProviderId('01JUPSTREAM0000000000000001');
        const upstreamSession = (state: string) =>
          t.storage.transaction(async (r) => {
            if ((await r.upstreamOAuthProviders.lookup(providerId)) === null)
              await r.upstreamOAuthProviders.upsert(clock, providerId, providerFields(), true);
            return r.upstreamOAuthSessions.add(rng, clock, { providerId, state });
          });
        clock.advance(10 * DAY);
        const recent = await finishedJob();
        const recentSession = await finishedSession();
        clock.advance(20 * DAY + 1);
        const abandoned = await upstreamSession('old-state');
        clock.advance(8 * DAY);
        const stillPending = await upstreamSession('newer-state');

        worker = new Worker({
          storage: t.storage,
          clock,
          rng,
          jobs: jobRegistry,
          pollIntervalMs: 20,
        });
        await worker.start();
        const cleanup = await t.storage.transaction((r) =>
          r.queue.enqueue(rng, clock, CLEANUP_EXPIRED_QUEUE, {}),
        );
        await eventually('the cleanup to complete', 10_000, async () =>
          (await t.storage.transaction((r) => r.queue.lookup(cleanup.id)))?.status === 'completed'
            ? true
            : undefined,
        );
        const lookup = (id: typeof old.id) => t.storage.transaction((r) => r.queue.lookup(id));
        assert.equal(await lookup(old.id), null);
        assert.notEqual(await lookup(recent.id), null);
        assert.notEqual(await lookup(pending.id), null);
        const session = (id: typeof oldSession.id) =>
          t.storage.transaction((r) => r.browserSessions.lookup(id));
        assert.equal(await session(oldSession.id), null);
        assert.notEqual(await session(recentSession.id), null);
        assert.notEqual(await session(openSession.id), null);
        // Upstream sign-ins never finished go after 7 days; younger ones stay.
        const upstream = (id: typeof abandoned.id) =>
          t.storage.transaction((r) => r.upstreamOAuthSessions.lookup(id));
        assert.equal(await upstream(abandoned.id), null);
        assert.notEqual(await upstream(stillPending.id), null);
      },
    );
  });
}

describe('job registry', () => {
  it('schedules every recurring job on a queue that has a handler', () => {
    assert.ok(jobSchedules.some((s) => s.queueName === CLEANUP_EXPIRED_QUEUE));
    for (const schedule of jobSchedules) {
      assert.equal(typeof jobRegistry[schedule.queueName], 'function', schedule.queueName);
      parseCron(schedule.cron);
    }
  });
});
