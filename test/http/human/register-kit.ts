// Shared by the registration, recovery and login-with-email tests: a real app with password
// registration and recovery on, a browser walking the registration steps, and the one thing a test
// cannot read from a page — the mailed code — put in place through the real repository (the code
// is what the mail job would have drawn).

import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { asUserRegistrationId } from '../../../src/model/user-registration.ts';
import {
  CookieJar,
  hiddenField,
  startTestApp,
  submitForm,
  type TestApp,
} from '../../helpers/app.ts';

export { CookieJar, hiddenField, submitForm, type TestApp };

export const STRONG_PASSWORD = 'correct horse battery staple 1987';

export function startRegistrationApp(overrides: Record<string, unknown> = {}): Promise<TestApp> {
  const account = (overrides.account ?? {}) as Record<string, unknown>;
  return startTestApp({
    ...overrides,
    account: {
      password_registration_enabled: true,
      password_recovery_enabled: true,
      ...account,
    },
  });
}

export async function get(
  h: TestApp,
  jar: CookieJar,
  url: string,
): Promise<LightMyRequestResponse> {
  const response = await h.app.inject({ method: 'GET', url, headers: jar.header() });
  jar.update(response);
  return response;
}

export function locationOf(response: LightMyRequestResponse): string {
  assert.equal(response.statusCode, 303, response.body.slice(0, 400));
  return response.headers.location as string;
}

/** Follows 303s (same site) until a page or an off-site redirect. */
export async function follow(
  h: TestApp,
  jar: CookieJar,
  response: LightMyRequestResponse,
): Promise<LightMyRequestResponse> {
  let current = response;
  for (let hops = 0; current.statusCode === 303 && hops < 10; hops++) {
    const to = current.headers.location as string;
    if (!to.startsWith('/')) return current;
    current = await get(h, jar, to);
  }
  return current;
}

export interface Registration {
  jar: CookieJar;
  id: string;
  /** The page the password form led to (after following redirects). */
  page: LightMyRequestResponse;
}

/** Fills in /register/password and follows to the first step. */
export async function startRegistration(
  h: TestApp,
  form: Record<string, string> = {},
  url = '/register/password',
  jar = new CookieJar(),
): Promise<Registration> {
  const response = await submitForm(h, jar, url, {
    username: 'alice',
    email: 'alice@example.com',
    password: STRONG_PASSWORD,
    password_confirm: STRONG_PASSWORD,
    ...form,
  });
  const to = locationOf(response);
  const match = /\/register\/steps\/([0-9A-Z]{26})\/finish$/.exec(to);
  assert.ok(match, to);
  return { jar, id: match[1]!, page: await follow(h, jar, response) };
}

/** Adds a code to the registration's email authentication, as the mail job would. */
export async function mailCode(h: TestApp, id: string, code = '123456'): Promise<string> {
  await h.db.storage.transaction(async (repos) => {
    const registration = await repos.userRegistrations.lookup(asUserRegistrationId(id));
    const authentication = await repos.emailAuthentications.lookup(
      registration!.emailAuthenticationId!,
    );
    await repos.emailAuthentications.addCode(h.ctx.rng, h.clock, authentication!, code);
  });
  return code;
}

/** Enters `code` on the verify-email step. */
export function enterCode(h: TestApp, r: Registration, code: string) {
  return submitForm(h, r.jar, `/register/steps/${r.id}/verify-email`, { code });
}

/** From the verify step to the end: code, then skip the display name. Returns the last response. */
export async function completeRegistration(h: TestApp, r: Registration) {
  const code = await mailCode(h, r.id);
  const verified = await follow(h, r.jar, await enterCode(h, r, code));
  assert.match(verified.body, /Choose a display name/);
  const skipped = await submitForm(h, r.jar, `/register/steps/${r.id}/display-name`, {
    action: 'skip',
  });
  return get(h, r.jar, locationOf(skipped));
}

/** Takes (claims and completes) the queued jobs of `queueName`, oldest first; returns their payloads. */
export async function takeJobs(h: TestApp, queueName: string): Promise<Record<string, unknown>[]> {
  return h.db.storage.transaction(async (repos) => {
    const worker = await repos.queue.registerWorker(h.ctx.rng, h.clock);
    const claimed = await repos.queue.claim(h.clock, worker.id, [queueName], 100);
    for (const job of claimed) await repos.queue.complete(h.clock, job.id);
    return claimed.map((job) => job.payload as Record<string, unknown>);
  });
}
