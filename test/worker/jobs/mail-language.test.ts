// The mails go out in the language of the person who asked for them: a job queued with locale
// `fr`, run by a real Worker whose `templates.translations_path` has a French file, delivers a
// French subject, text and HTML body to a real SMTP server — for the verification code and for the
// recovery link — with no English sentence left; the same job queued with `en` stays English.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { enqueueAccountRecoveryEmail } from '../../../src/storage/account-jobs.ts';
import { Translations } from '../../../src/templates/i18n.ts';
import type { ReceivedMessage } from '../../helpers/smtp-sink.ts';
import { startMailJobFixture, startRegistration, type MailJobFixture } from './mail-job-fixture.ts';

/** The whole "emails" section in French. */
const FRENCH_EMAILS = {
  greeting: 'Bonjour {{username}},',
  greeting_anonymous: 'Bonjour,',
  verification: {
    subject: 'Votre code de vérification {{service_name}} est {{code}}',
    title: 'Votre code de vérification',
    intro: 'Votre code de vérification pour {{service_name}} est :',
    enter:
      'Saisissez-le sur la page où vous l’avez demandé, dans les 5 minutes, pour confirmer que {{email}} est votre adresse.',
    ignore: 'Si vous n’avez pas demandé ce code, ignorez ce message : rien ne se passe sans lui.',
  },
  recovery: {
    subject: 'Réinitialisez votre mot de passe {{service_name}}',
    title: 'Réinitialisez votre mot de passe',
    asked:
      'Quelqu’un a demandé à réinitialiser le mot de passe de votre compte {{service_name}} « {{username}} », qui utilise l’adresse {{email}}.',
    choose: 'Choisir un nouveau mot de passe',
    valid_for: '(le lien fonctionne 10 minutes).',
    open_link: 'Pour choisir un nouveau mot de passe, ouvrez ce lien dans les 10 minutes :',
    copy_link: 'Si le lien ne s’ouvre pas, copiez cette adresse dans votre navigateur :',
    signs_out:
      'Choisir un nouveau mot de passe vous déconnecte partout ailleurs. Si vous n’avez rien demandé, ignorez ce message : votre mot de passe reste le même.',
  },
};

/** The English sentences of the "emails" section, each cut before its first variable. */
function englishSentences(): string[] {
  const english = new Translations();
  return english
    .keys()
    .filter((key) => key.startsWith('emails.'))
    .map((key) => english.translate('en', key).split('{{')[0]!.trim())
    .filter((text) => text.length > 6);
}

function assertNoEnglish(message: ReceivedMessage): void {
  for (const sentence of englishSentences()) {
    for (const part of [message.subject, message.text, message.html]) {
      assert.ok(!part.includes(sentence), `English left: ${sentence}`);
    }
  }
}

describe('mails in the language they were asked in', () => {
  let dir: string;
  let f: MailJobFixture | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-fr-mails-'));
    writeFileSync(join(dir, 'fr.json'), JSON.stringify({ emails: FRENCH_EMAILS }));
  });
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function sendCode(fixture: MailJobFixture, email: string, locale: string) {
    await startRegistration(fixture, email, locale);
    return fixture.sink.waitForMessage((m) => m.to.includes(email));
  }

  it('sends the verification code in French', { timeout: 20_000 }, async () => {
    f = await startMailJobFixture('fr-code', { translationsPath: dir });
    const french = await sendCode(f, 'alice@example.com', 'fr');
    const code = /est (\d{6})$/.exec(french.subject)?.[1];
    assert.ok(code, french.subject);
    assert.equal(french.subject, `Votre code de vérification Example est ${code}`);
    assert.match(french.text, /^Bonjour alice,$/m);
    assert.match(french.text, /confirmer que alice@example\.com est votre adresse\./);
    assert.match(french.html, /<html lang="fr">/);
    assert.match(french.html, /<title>Votre code de vérification<\/title>/);
    assert.match(french.html, /confirmer que <strong>alice@example\.com<\/strong> est votre/);
    assertNoEnglish(french);

    const english = await sendCode(f, 'bob@example.com', 'en');
    assert.match(english.subject, /^Your Example verification code is \d{6}$/);
    assert.match(english.text, /^Hello alice,$/m);
  });

  it('sends the recovery link in French', { timeout: 20_000 }, async () => {
    f = await startMailJobFixture('fr-recovery', { translationsPath: dir });
    const fixture = f;
    await fixture.t.storage.transaction(async (repos) => {
      const user = (await repos.users.add(fixture.rng, fixture.clock, 'alice'))!;
      await repos.userEmails.add(fixture.rng, fixture.clock, user, 'alice@example.com');
      const session = await repos.recovery.addSession(fixture.rng, fixture.clock, {
        email: 'alice@example.com',
        locale: 'fr-CA',
      });
      await enqueueAccountRecoveryEmail(repos.queue, fixture.rng, fixture.clock, session);
    });
    const french = await fixture.sink.waitForMessage((m) => m.to.includes('alice@example.com'));
    assert.equal(french.subject, 'Réinitialisez votre mot de passe Example');
    assert.match(french.text, /votre compte Example « alice », qui utilise l’adresse alice@/);
    assert.match(
      french.text,
      /^https:\/\/auth\.example\.com\/prefix\/account\/password\/recovery\?ticket=/m,
    );
    assert.match(french.html, /<a href="https:[^"]+">Choisir un nouveau mot de passe<\/a>/);
    assertNoEnglish(french);
  });
});
