// Shared by the account page tests: the full app (human + oauth resources) on SQLite from the
// OAuth tests' kit, a signed-in alice, and small readers for the pages.

import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import {
  CookieJar,
  get,
  hiddenField,
  newAlice,
  signIn,
  startOAuthApp,
  type TestApp,
} from '../oauth2/oauth2-app.ts';

export * from '../oauth2/oauth2-app.ts';

/** A fresh app with alice signed in through `jar`. */
export async function signedInAlice(
  overrides: Record<string, unknown> = {},
): Promise<{ h: TestApp; jar: CookieJar }> {
  const h = await startOAuthApp(overrides);
  await newAlice(h);
  const jar = new CookieJar();
  await signIn(h, jar);
  return { h, jar };
}

/** POSTs `form` to `url` with the CSRF token of the page at `pageUrl`, as a browser would. */
export async function postFrom(
  h: TestApp,
  jar: CookieJar,
  pageUrl: string,
  url: string,
  form: Record<string, string>,
): Promise<LightMyRequestResponse> {
  const page = await get(h, jar, pageUrl);
  assert.equal(page.statusCode, 200, page.body.slice(0, 300));
  const csrf = hiddenField(page.body, 'csrf');
  assert.ok(csrf, `no csrf field on ${pageUrl}`);
  const response = await h.app.inject({
    method: 'POST',
    url,
    headers: { ...jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ csrf, ...form }).toString(),
  });
  jar.update(response);
  return response;
}

/** The values of every hidden `id` field on a page, in order. */
export function ids(html: string): string[] {
  return [...html.matchAll(/<input type="hidden" name="id" value="([^"]*)">/g)].map((m) => m[1]!);
}
