// Two real `gatehouse server` processes pointing at one Redis (`rate_limiting.store: {kind:
// redis}`) share their sign-in limits: the per-address budget spent through one is spent for the
// other. Each node has a SQLite database of its own, so Redis is the only thing they share.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatehouse, type Gatehouse } from '../e2e/harness.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';
import { assertBudgetShared, TIGHT_LOGIN_LIMIT } from './two-nodes-kit.ts';

describe('rate limits across two server processes on one Redis', () => {
  let redis: RedisServer | undefined;
  let one: Gatehouse | undefined;
  let two: Gatehouse | undefined;

  before(async () => {
    redis = await startRedis();
    const extraConfig = {
      rate_limiting: {
        store: { kind: 'redis', url: redis.url },
        login: TIGHT_LOGIN_LIMIT,
      },
    };
    [one, two] = await Promise.all([
      startGatehouse({ extraConfig }),
      startGatehouse({ extraConfig }),
    ]);
  });
  after(async () => {
    await two?.stop();
    await one?.stop();
    await redis?.destroy();
  });

  it('refuses on one node what was spent on the other', async () => {
    await assertBudgetShared(one!, two!);
  });

  it('closes its Redis connection on shutdown', async () => {
    const node = two!;
    two = undefined;
    assert.equal(await node.stop(), 0);
  });
});
