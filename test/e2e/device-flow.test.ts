// The device authorization grant (RFC 8628) end to end: openid-client starts it and polls the
// token endpoint while a scripted browser signs in, types the user code on /link and answers the
// consent page. Also the device's errors: authorization_pending, slow_down and access_denied.
//
// The tests run concurrently against one server: each one waits out the 5 s polling interval.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { Browser, drive, parseForms, textOf } from './browser.ts';
import { ALICE, STATIC_CLIENTS, startGatehouse, type Gatehouse } from './harness.ts';
import { rejectsWithOAuthError, staticClient } from './rp-kit.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** How a person might type the code: lower case, with a dash in the middle. */
function typedLikeAPerson(userCode: string): string {
  const half = Math.ceil(userCode.length / 2);
  return `${userCode.slice(0, half)}-${userCode.slice(half)}`.toLowerCase();
}

describe(
  'device authorization grant against gatehouse server',
  { concurrency: true, timeout: 90_000 },
  () => {
    let gh: Gatehouse;

    before(async () => {
      gh = await startGatehouse();
    });
    after(async () => {
      const exit = await gh.stop();
      assert.equal(exit, 0, `gatehouse server did not exit cleanly:\n${gh.process.output()}`);
    });

    it('issues tokens once the user typed the code at /link and allowed the device', async () => {
      const config = await staticClient(gh, 'none');
      const started = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' });
      assert.match(started.user_code, /^[A-Z0-9]{6}$/);
      assert.equal(started.verification_uri, gh.url('/link'));
      assert.equal(started.expires_in, 1200);
      assert.equal(started.interval, 5);

      // The device polls (openid-client waits the interval first) while the person uses a browser.
      const polling = client.pollDeviceAuthorizationGrant(config, started);
      const browser = new Browser();
      // Auto-fill is off by default: even the link with the code in it must not fill the code in
      // (someone could send a person a link carrying their own device's code).
      const signIn = await drive(
        browser,
        started.verification_uri_complete ?? started.verification_uri,
        {
          user: ALICE,
        },
      );
      assert.deepEqual(signIn.steps, ['login']);
      const linkForm = parseForms(signIn.page.body, signIn.page.url).find(
        (f) => 'code' in f.fields,
      );
      assert.ok(linkForm, `the /link form: ${textOf(signIn.page.body).slice(0, 300)}`);
      assert.equal(linkForm.fields.code, '', 'the code is not filled in');

      const result = await drive(browser, signIn.page, {
        userCode: typedLikeAPerson(started.user_code),
        decision: 'allow',
      });
      assert.deepEqual(result.steps, ['code', 'consent']);
      assert.equal(result.page.status, 200, textOf(result.page.body).slice(0, 300));

      const tokens = await polling;
      assert.match(tokens.access_token, /^mat_/);
      assert.match(tokens.refresh_token ?? '', /^mar_/);
      const claims = tokens.claims();
      assert.ok(claims, 'an id_token for the openid scope');
      assert.equal(claims.aud, STATIC_CLIENTS.none);
      assert.equal(claims.iss, gh.issuer);
      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(info.username, ALICE.username);

      // The code is spent: polling again is refused.
      await rejectsWithOAuthError(
        client.genericGrantRequest(config, DEVICE_CODE_GRANT, { device_code: started.device_code }),
        ['invalid_grant', 'expired_token'],
      );
    });

    it('answers authorization_pending, then slow_down to a device that polls too fast', async () => {
      const config = await staticClient(gh, 'none');
      const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
      const poll = () =>
        client.genericGrantRequest(config, DEVICE_CODE_GRANT, { device_code: started.device_code });
      await rejectsWithOAuthError(poll(), 'authorization_pending');
      await rejectsWithOAuthError(poll(), 'slow_down');
    });

    it('answers access_denied when the user denies the device', async () => {
      const config = await staticClient(gh, 'none');
      const started = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
      const polling = client.pollDeviceAuthorizationGrant(config, started);
      const result = await drive(new Browser(), started.verification_uri, {
        user: ALICE,
        userCode: started.user_code,
        decision: 'deny',
      });
      assert.deepEqual(result.steps, ['login', 'code', 'consent']);
      await rejectsWithOAuthError(polling, 'access_denied');
    });

    it('shows the /link form again for an unknown code', async () => {
      const browser = new Browser();
      const result = await drive(browser, gh.url('/link'), { user: ALICE });
      assert.deepEqual(result.steps, ['login']);
      const form = parseForms(result.page.body, result.page.url).find((f) => 'code' in f.fields);
      assert.ok(form, 'the /link form');
      const answer = await browser.submit(form, { code: 'ZZZZZZ' });
      assert.equal(answer.status, 400);
      assert.equal(answer.location, null);
      assert.match(textOf(answer.body), /not valid|expired/i);
    });

    it('refuses device authorization for an unknown client', async () => {
      const response = await fetch(gh.url('/oauth2/device'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: '0000000000000000000000000Z', scope: 'openid' }),
      });
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
    });
  },
);
