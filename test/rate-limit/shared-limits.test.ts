// Two real `gatehouse server` processes on one PostgreSQL share their sign-in limits: the budget
// spent through one is spent for the other.

import { after, before, describe, it } from 'node:test';
import { startGatehouse, type Gatehouse } from '../e2e/harness.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { assertBudgetShared, TIGHT_LOGIN_LIMIT } from './two-nodes-kit.ts';

describe('rate limits across two server processes on one PostgreSQL', () => {
  let one: Gatehouse | undefined;
  let two: Gatehouse | undefined;

  before(async () => {
    const database = await createTestDatabase('ratelimit');
    const extraConfig = {
      rate_limiting: { login: TIGHT_LOGIN_LIMIT },
    };
    one = await startGatehouse({ database, extraConfig });
    // The second node finds the database migrated and alice registered by the first.
    two = await startGatehouse({ database, extraConfig, users: [] });
  });
  after(async () => {
    await two?.stop();
    await one?.stop();
  });

  it('refuses on one node what was spent on the other', async () => {
    await assertBudgetShared(one!, two!);
  });
});
