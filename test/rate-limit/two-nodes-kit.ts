// What the two-process rate-limit tests share (shared-limits on PostgreSQL, redis-shared-limits on
// Redis): a sign-in through a real server's login form, the tight per-address limit both set, and
// the check that a budget spent through one node is spent for the other.

import assert from 'node:assert/strict';
import { ALICE, type Gatehouse } from '../e2e/harness.ts';

/** Three sign-ins per address, refilled over ten minutes. */
export const TIGHT_LOGIN_LIMIT = { per_ip: { burst: 3, per_second: 3 / 600 } };

/** GET /login for its CSRF cookie and field, then POST the form; returns the POST's response. */
export async function signIn(gh: Gatehouse, password: string): Promise<Response> {
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

/**
 * Spends the TIGHT_LOGIN_LIMIT budget with wrong passwords on `one`, then checks that `two` refuses
 * even the right password (429 with a Retry-After of about ten minutes), and so does `one`.
 */
export async function assertBudgetShared(one: Gatehouse, two: Gatehouse): Promise<void> {
  for (let i = 0; i < 3; i++) assert.equal((await signIn(one, `wrong-${i}`)).status, 400);
  const refused = await signIn(two, ALICE.password);
  assert.equal(refused.status, 429);
  const retryAfter = Number(refused.headers.get('retry-after'));
  assert.ok(retryAfter > 500 && retryAfter <= 600, `Retry-After ${retryAfter}`);
  assert.equal((await signIn(one, ALICE.password)).status, 429);
}
