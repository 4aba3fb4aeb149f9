// Two real `gatehouse server` processes on one PostgreSQL share their sign-in limits: the budget
// spent through one is spent for the other.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ALICE, startGatehouse, type Gatehouse } from '../e2e/harness.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

/** GET /login for its CSRF cookie and field, then POST the form; returns the POST's status. */
async function signIn(gh: Gatehouse, password: string): Promise<Response> {
  const page = await fetch(gh.url('/login'));
  const html = await page.text();
  const csrf = /<input type="hidden" name="csrf" value="([^"]*)">/.exec(html)?.[1];
  assert.ok(csrf !== undefined, `no CSRF field on /login (${page.status})`);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const response = await fetch(gh.url('/login'), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      csrf: csrf.replace(/&amp;/g, '&'),
      username: ALICE.username,
      password,
    }).toString(),
  });
  await response.arrayBuffer();
  return response;
}

describe('rate limits across two server processes on one PostgreSQL', () => {
  let one: Gatehouse | undefined;
  let two: Gatehouse | undefined;

  before(async () => {
    const database = await createTestDatabase('ratelimit');
    const extraConfig = {
      rate_limiting: { login: { per_ip: { burst: 3, per_second: 3 / 600 } } },
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
    for (let i = 0; i < 3; i++) assert.equal((await signIn(one!, `wrong-${i}`)).status, 400);
    const refused = await signIn(two!, ALICE.password);
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After ${retryAfter}`);
    assert.equal((await signIn(one!, ALICE.password)).status, 429);
  });
});
