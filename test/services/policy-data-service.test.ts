// The policy data in force on a node: the configuration's data alone, then each stored version
// merged over it — adopted at once by the node that stores it, by the others at their periodic
// reload (driven by hand here) or, on PostgreSQL, as soon as the database announces it; the live
// configuration view consumers read; and a version that cannot be merged, logged once and ignored.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MockClock } from '../../src/clock.ts';
import { rootSchema, type RootConfig } from '../../src/config/root.ts';
import { SeededRng } from '../../src/rng.ts';
import {
  POLICY_DATA_RELOAD_MS,
  PolicyDataService,
  startPolicyData,
  type Every,
} from '../../src/services/policy-data-service.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { openStorage, openTestStorage, type TestStorage } from '../helpers/storage.ts';

const policy = rootSchema.shape.policy.parse({
  data: {
    admin_clients: ['01J00000000000000000000ADM'],
    client_registration: { allow_insecure_uris: false },
  },
});

/** A periodic schedule that runs only when `tick()` is called. */
function manualSchedule() {
  const ticks = new Set<() => void>();
  const intervals: number[] = [];
  const every: Every = (ms, tick) => {
    intervals.push(ms);
    ticks.add(tick);
    return () => ticks.delete(tick);
  };
  return { every, intervals, tick: () => ticks.forEach((tick) => tick()), ticks };
}

/** Waits (briefly, polling) until `condition` holds; fails after `ms`. */
async function eventually(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail('condition not met in time');
    await sleep(10);
  }
}

function recordingLogger() {
  const errors: string[] = [];
  const logger = createLogger({ level: 'silent' });
  const original = logger.error.bind(logger);
  logger.error = ((obj: unknown, message?: string) => {
    errors.push(`${message ?? ''} ${JSON.stringify(obj)}`);
    return original(obj as never, message as never);
  }) as typeof logger.error;
  return { logger, errors };
}

describe('PolicyDataService', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const clock = new MockClock('2026-03-01T10:00:00.000Z');
  const rng = new SeededRng('policy-data-service');

  async function open(dialect: 'sqlite' | 'postgres'): Promise<TestStorage> {
    const t = await openTestStorage(dialect);
    cleanups.push(() => t.cleanup());
    return t;
  }

  it('serves the configuration data alone, then stored versions merged over it (SQLite)', async () => {
    const t = await open('sqlite');
    const schedule = manualSchedule();
    const { logger, errors } = recordingLogger();
    const service = new PolicyDataService({
      storage: t.storage,
      policy,
      logger,
      every: schedule.every,
    });
    cleanups.push(() => service.stop());
    await service.start();
    assert.deepEqual(schedule.intervals, [POLICY_DATA_RELOAD_MS]);
    assert.equal(POLICY_DATA_RELOAD_MS <= 30_000, true, 'reaches every node within a minute');
    assert.equal(service.version, null);
    assert.deepEqual(service.current(), policy.data);

    // Only the policy section matters to the view; the rest is carried along untouched.
    const base = { policy, branding: { service_name: 'x' } } as unknown as RootConfig;
    const config = service.liveConfig(base);
    assert.equal(config.branding, base.branding);
    const adminClients = () => config.policy.data.admin_clients;
    assert.deepEqual(adminClients(), ['01J00000000000000000000ADM']);

    // Stored elsewhere (another node): picked up at the next reload.
    clock.advance(1000);
    const version = await t.storage.transaction((repos) =>
      repos.policyData.add(rng, clock, { admin_clients: ['01J00000000000000000000NEW'] }),
    );
    assert.deepEqual(adminClients(), ['01J00000000000000000000ADM']);
    schedule.tick();
    await eventually(() => service.version === version.id);
    assert.deepEqual(adminClients(), ['01J00000000000000000000ADM', '01J00000000000000000000NEW']);
    assert.equal(config.policy.register_entrypoint, 'register/violation');
    assert.deepEqual(config.policy.data.client_registration, { allow_insecure_uris: false });

    // A version that cannot be merged is logged once and ignored; the previous one stays.
    clock.advance(1000);
    const bad = await t.storage.transaction((repos) =>
      repos.policyData.add(rng, clock, { admin_clients: 'not a list' }),
    );
    schedule.tick();
    await eventually(() => errors.length === 1);
    assert.match(errors[0]!, /cannot be merged/);
    assert.match(errors[0]!, new RegExp(bad.id));
    assert.equal(service.version, version.id);
    assert.equal(await service.reload(), false);
    assert.equal(errors.length, 1);

    await service.stop();
    assert.equal(schedule.ticks.size, 0, 'stop cancels the reload');
  });

  it('adopts a version at once where it is stored, and puts back the stored one', async () => {
    const t = await open('sqlite');
    const service = new PolicyDataService({
      storage: t.storage,
      policy,
      logger: createLogger({ level: 'silent' }),
      every: manualSchedule().every,
    });
    cleanups.push(() => service.stop());
    await service.start();
    const stored = await t.storage.transaction((repos) =>
      repos.policyData.add(rng, clock, { extra: 1 }),
    );
    assert.equal(service.adopt(stored), true);
    assert.equal(service.adopt(stored), false);
    assert.equal(service.current().extra, 1);
    assert.throws(
      () => service.check({ admin_clients: {} }),
      /cannot merge an object into an array/,
    );
    // A version whose transaction did not commit: the next reload restores the stored one.
    service.adopt({
      id: 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ' as never,
      createdAt: clock.now(),
      data: { extra: 2 },
    });
    assert.equal(service.current().extra, 2);
    assert.equal(await service.reload(), true);
    assert.equal(service.current().extra, 1);
  });

  it('reaches a second node on the same PostgreSQL database as soon as it is stored', async () => {
    const t = await open('postgres');
    // A second node: its own pool on the same database.
    const other = openStorage(t.uri);
    cleanups.push(() => other.close());
    const logger = createLogger({ level: 'silent' });
    const nodes = [];
    for (const storage of [t.storage, other]) {
      // Periodic reloads never run here: only the notification can bring the new version.
      const node = await startPolicyData({
        storage,
        pool: storage.connection.pool,
        policy,
        logger,
        every: manualSchedule().every,
      });
      cleanups.push(() => node.stop());
      nodes.push(node);
    }
    const [first, second] = nodes as [PolicyDataService, PolicyDataService];
    const version = await t.storage.transaction(async (repos) => {
      const added = await repos.policyData.add(rng, clock, { admin_users: ['alice'] });
      first.adopt(added);
      return added;
    });
    assert.deepEqual(first.current().admin_users, ['alice']);
    await eventually(() => second.version === version.id);
    assert.deepEqual(second.current().admin_users, ['alice']);
    assert.deepEqual(second.current().admin_clients, ['01J00000000000000000000ADM']);
  });
});
