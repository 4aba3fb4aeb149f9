// A mail goes out in the language its page was read in, through the whole system: a real
// `gatehouse server` process (with its in-process worker) whose `templates.translations_path` has
// a French file, a French browser registering on /register/password, and the verification code
// arriving in French at a real SMTP server.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startGatehouse, type Gatehouse } from './harness.ts';

const FRENCH = 'fr-FR, fr;q=0.9, en;q=0.5';

describe('mails in the reader’s language (real server)', () => {
  let dir: string;
  let sink: SmtpSink;
  let gatehouse: Gatehouse | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-fr-e2e-'));
    writeFileSync(
      join(dir, 'fr.json'),
      JSON.stringify({
        emails: {
          greeting: 'Bonjour {{username}},',
          verification: {
            subject: 'Votre code {{service_name}} : {{code}}',
            intro: 'Votre code de vérification pour {{service_name}} est :',
          },
        },
      }),
    );
    sink = await startSmtpSink();
    gatehouse = await startGatehouse({
      extraConfig: {
        email: {
          transport: 'smtp',
          mode: 'plain',
          hostname: '127.0.0.1',
          port: sink.port,
          from: 'auth@example.com',
        },
        templates: { translations_path: dir },
        account: { password_registration_enabled: true },
      },
    });
  });
  after(async () => {
    if (gatehouse) assert.equal(await gatehouse.stop(), 0);
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mails the registration code in French to a French browser', { timeout: 30_000 }, async () => {
    const url = gatehouse!.url('/register/password');
    const page = await fetch(url, { headers: { 'accept-language': FRENCH } });
    assert.equal(page.status, 200);
    const cookie = page.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    assert.ok(csrf);
    const posted = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie,
        'accept-language': FRENCH,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        csrf,
        username: 'bob',
        email: 'bob@example.com',
        password: 'Velvet-Orchard-Beacon-4417',
        password_confirm: 'Velvet-Orchard-Beacon-4417',
      }).toString(),
    });
    assert.equal(posted.status, 303, await posted.text());

    const mail = await sink.waitForMessage((m) => m.to.includes('bob@example.com'));
    assert.match(mail.subject, /^Votre code .+ : \d{6}$/);
    assert.match(mail.text, /^Bonjour bob,$/m);
    assert.match(mail.text, /Votre code de vérification pour .+ est :/);
    assert.match(mail.html, /<html lang="fr">/);
    // Not in the French file: English.
    assert.match(mail.text, /If you did not ask for this code/);
  });
});
