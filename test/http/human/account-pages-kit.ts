// Shared by the profile, emails, session-detail, deactivate, cross-signing and session-limit page
// tests: the full app on SQLite (or PostgreSQL) with a fake homeserver (an outside system) reached
// through the real Synapse connection, alice signed in, and small helpers to give her sessions and
// read the queue.

import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { SynapseConnection } from '../../../src/matrix/synapse-connection.ts';
import { startCompatSession } from '../../../src/services/compat-sessions.ts';
import { FakeHomeserver } from '../../matrix/fake-homeserver.ts';
import { startTestApp } from '../../helpers/app.ts';
import { CookieJar, get, hiddenField, newAlice, signIn, type TestApp } from './account-kit.ts';

export * from './account-kit.ts';
export { FakeHomeserver };

export interface AccountApp {
  h: TestApp;
  jar: CookieJar;
  hs: FakeHomeserver;
  close(): Promise<void>;
}

/** The app with a fake homeserver that knows alice, and alice signed in through `jar`. */
export async function startAccountApp(
  overrides: Record<string, unknown> = {},
  options: { dialect?: 'sqlite' | 'postgres'; homeserver?: boolean } = {},
): Promise<AccountApp> {
  const hs = await new FakeHomeserver('hs-secret').start();
  const withHomeserver = options.homeserver ?? true;
  const h = await startTestApp(overrides, {
    dialect: options.dialect ?? 'sqlite',
    ...(withHomeserver
      ? {
          homeserver: new SynapseConnection('example.test', {
            endpoint: hs.endpoint,
            secret: 'hs-secret',
            timeoutMs: 2000,
          }),
        }
      : {}),
  });
  await newAlice(h);
  hs.addUser('alice');
  const jar = new CookieJar();
  await signIn(h, jar);
  return {
    h,
    jar,
    hs,
    close: async () => {
      await h.close();
      await hs.stop();
    },
  };
}

/** Gives alice a compatibility session holding `deviceId`; returns its id and access token. */
export async function addCompatSession(
  h: TestApp,
  deviceId: string,
  humanName: string | null = null,
): Promise<{ id: string; accessToken: string }> {
  return h.db.storage.transaction(async (repos) => {
    const alice = await repos.users.findByUsername('alice');
    const started = await startCompatSession(repos, h.ctx, {
      user: alice!,
      deviceId,
      humanName,
      userAgent: 'Element/1.11 (Linux; Android 14)',
      browserSessionId: null,
      isSynapseAdmin: false,
      refreshableTtlSeconds: null,
    });
    return { id: started.session.id, accessToken: started.accessToken };
  });
}

/** Jobs queued under `queue`, oldest first, with their payloads. */
export async function queued(h: TestApp, queue: string): Promise<Array<Record<string, unknown>>> {
  const rows = await h.db.storage.connection.db
    .selectFrom('queue_jobs')
    .select(['payload'])
    .where('queue_name', '=', queue)
    .orderBy('id')
    .execute();
  return rows.map((row) =>
    typeof row.payload === 'string'
      ? (JSON.parse(row.payload) as Record<string, unknown>)
      : (row.payload as Record<string, unknown>),
  );
}

/** POSTs `form` to `url` without any CSRF token (a forged request). */
export function postWithoutCsrf(
  h: TestApp,
  jar: CookieJar,
  url: string,
  form: Record<string, string>,
): Promise<LightMyRequestResponse> {
  return h.app.inject({
    method: 'POST',
    url,
    headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
}

/** The page at `url`, asserting a 200. */
export async function page(h: TestApp, jar: CookieJar, url: string): Promise<string> {
  const response = await get(h, jar, url);
  assert.equal(response.statusCode, 200, `${url}: ${response.body.slice(0, 300)}`);
  return response.body;
}

/** The CSRF token on the page at `url`. */
export async function csrfOf(h: TestApp, jar: CookieJar, url: string): Promise<string> {
  const token = hiddenField(await page(h, jar, url), 'csrf');
  assert.ok(token, `no csrf on ${url}`);
  return token;
}
