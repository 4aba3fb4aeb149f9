// Server-side CAPTCHA verification against a fake siteverify endpoint on 127.0.0.1, and the CSP
// widening for the widget.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cspWithCaptcha } from '../../src/captcha/captcha-csp.ts';
import { CAPTCHA_PROVIDERS } from '../../src/captcha/captcha-providers.ts';
import { captchaWidget, verifyCaptcha } from '../../src/captcha/captcha-verifier.ts';
import { startFakeVerifier } from './fake-verifier.ts';

describe('verifyCaptcha', () => {
  let fake: Awaited<ReturnType<typeof startFakeVerifier>>;
  before(async () => {
    fake = await startFakeVerifier();
  });
  after(async () => {
    await fake.close();
  });

  const config = (verify_url: string) =>
    ({ service: 'hcaptcha', site_key: 'site', secret_key: 'the-secret', verify_url }) as const;

  it('passes when no service is configured', async () => {
    assert.deepEqual(await verifyCaptcha({}, undefined, null), { ok: true });
  });

  it('accepts an answer the verifier accepts, sending secret, answer and client IP', async () => {
    assert.deepEqual(await verifyCaptcha(config(fake.url), 'good', '192.0.2.4'), { ok: true });
    const sent = fake.seen.at(-1)!;
    assert.equal(sent.get('secret'), 'the-secret');
    assert.equal(sent.get('remoteip'), '192.0.2.4');
  });

  it('refuses a missing answer without calling the verifier', async () => {
    const before = fake.seen.length;
    const outcome = await verifyCaptcha(config(fake.url), '', null);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? null : outcome.code, 'not-solved');
    assert.equal(fake.seen.length, before);
  });

  it('refuses an answer the verifier refuses, or when it fails', async () => {
    const refused = await verifyCaptcha(config(fake.url), 'bad', null);
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.detail, /invalid-input-response/);
    assert.equal(refused.ok ? null : refused.code, 'not-solved');
    const broken = await verifyCaptcha(config(fake.url), 'broken', null);
    assert.equal(broken.ok, false);
    const unreachable = await verifyCaptcha(config('http://127.0.0.1:1/none'), 'good', null);
    assert.equal(unreachable.ok ? null : unreachable.code, 'unavailable');
    assert.match(unreachable.ok ? '' : unreachable.reason, /could not be checked/);
  });
});

describe('captcha widget and CSP', () => {
  it('names the provider for each service', () => {
    assert.equal(
      captchaWidget({ service: 'recaptcha_v2', site_key: 's', secret_key: 'k' })?.provider
        .responseField,
      'g-recaptcha-response',
    );
    assert.equal(
      captchaWidget({ service: 'cloudflare_turnstile', site_key: 's', secret_key: 'k' })?.provider
        .responseField,
      'cf-turnstile-response',
    );
    assert.equal(captchaWidget({ service: null }), null);
  });

  it('adds exactly the provider’s origins to the directives it needs', () => {
    const base = "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'";
    const csp = cspWithCaptcha(base, CAPTCHA_PROVIDERS.cloudflare_turnstile);
    assert.equal(
      csp,
      "default-src 'self'; script-src 'self' https://challenges.cloudflare.com; style-src 'self'; " +
        "frame-ancestors 'none'; frame-src 'self' https://challenges.cloudflare.com",
    );
    const h = cspWithCaptcha(base, CAPTCHA_PROVIDERS.hcaptcha);
    assert.match(h, /style-src 'self' https:\/\/hcaptcha\.com https:\/\/\*\.hcaptcha\.com/);
    assert.match(h, /connect-src 'self' https:\/\/hcaptcha\.com/);
    assert.doesNotMatch(h, /google|cloudflare/);
  });
});
