// The messages handlers put on pages — form errors, policy refusals, notices and error pages —
// follow the reader's language: the real app, given a French file in
// `templates.translations_path`, answers a French browser in French in each error state (bad
// email, banned username, weak password, wrong code, expired recovery link, bad sign-in, refused
// form, the account pages' form errors and error pages, a bad authorization request), and an
// English one with the same English as before; a code mail asked for from a French page is queued
// in French.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { after, afterEach, before, describe, it } from 'node:test';
import { asRecoverySessionId } from '../../../src/model/recovery-session.ts';
import { addUser, hiddenField } from '../../helpers/app.ts';
import { PASSWORD, queued, signedInAlice } from './account-pages-kit.ts';
import {
  CookieJar,
  get,
  locationOf,
  startRegistration,
  startRegistrationApp,
  STRONG_PASSWORD,
  submitForm,
  type TestApp,
} from './register-kit.ts';

const FRENCH = { 'accept-language': 'fr-FR, fr;q=0.9' };

const WEAK = 'Ce mot de passe est trop faible.';

/** French for the messages under test; every weak-password warning reads WEAK. */
function frenchFile(): object {
  const warnings = [
    'generic',
    'other',
    'straightRow',
    'keyPattern',
    'simpleRepeat',
    'extendedRepeat',
    'sequences',
    'recentYears',
    'dates',
    'topTen',
    'topHundred',
    'common',
    'similarToCommon',
    'wordByItself',
    'namesByThemselves',
    'commonNames',
    'userInputs',
    'pwned',
  ];
  return {
    policy: {
      email_invalid: 'Saisissez une adresse e-mail valide, comme nom@exemple.fr.',
      username_banned: "Ce nom d'utilisateur n'est pas disponible.",
      email_domain_banned: 'Les adresses chez {{domain}} ne sont pas acceptées ici.',
      passwords_mismatch: 'Les deux mots de passe ne correspondent pas.',
      password_weak: Object.fromEntries(warnings.map((code) => [code, WEAK])),
    },
    register: {
      verify_email_errors: {
        wrong_code: 'Ce code est faux ou a expiré.',
        code_resent: 'Un nouveau code part vers {{email}}.',
      },
    },
    recover: {
      link: {
        expired_title: 'Lien expiré',
        expired: 'Ce lien de récupération a expiré : demandez-en un nouveau.',
      },
    },
    login: { errors: { invalid_credentials: "Nom d'utilisateur ou mot de passe incorrect." } },
    account: {
      wrong_password: "Ce n'est pas votre mot de passe actuel.",
      password: { title: 'Changer votre mot de passe' },
      emails: {
        already_yours: 'Cette adresse est déjà sur votre compte.',
        address_not_found_title: 'Adresse introuvable',
        address_not_found: "Cette adresse n'est pas sur votre compte.",
      },
    },
    authorize: {
      invalid_title: "Demande d'autorisation invalide",
      no_client: "La demande ne nomme pas d'application (client_id).",
    },
    error: {
      bad_request: { title: 'Requête incorrecte' },
      csrf: {
        title: 'Ce formulaire ne peut pas être accepté',
        missing: 'Le formulaire a été envoyé sans son jeton de sécurité.',
      },
    },
  };
}

/** submitForm, with extra request headers on the POST. */
function post(
  h: TestApp,
  jar: CookieJar,
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = FRENCH,
): Promise<LightMyRequestResponse> {
  return postTo(h, jar, url, url.split('?')[0]!, form, headers);
}

/** POSTs `form` to `url` with the CSRF token of the page at `pageUrl`, and extra headers. */
async function postTo(
  h: TestApp,
  jar: CookieJar,
  pageUrl: string,
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = FRENCH,
): Promise<LightMyRequestResponse> {
  const page = await get(h, jar, pageUrl);
  const csrf = hiddenField(page.body, 'csrf');
  assert.ok(csrf !== null, `no csrf field on ${pageUrl}: ${page.statusCode}`);
  const response = await h.app.inject({
    method: 'POST',
    url,
    headers: { ...jar.header(), ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ csrf, ...form }).toString(),
  });
  jar.update(response);
  return response;
}

describe('handler messages in the reader’s language', () => {
  let dir: string;
  let h: TestApp | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-fr-messages-'));
    writeFileSync(join(dir, 'fr.json'), JSON.stringify(frenchFile()));
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const start = (overrides: Record<string, unknown> = {}) =>
    startRegistrationApp({ templates: { translations_path: dir }, ...overrides });

  it('refuses a bad email address on /recover in French', async () => {
    h = await start();
    const french = await post(h, new CookieJar(), '/recover', { email: 'not an address' });
    assert.equal(french.statusCode, 400);
    assert.match(french.body, /<html lang="fr">/);
    assert.match(french.body, /Saisissez une adresse e-mail valide, comme nom@exemple\.fr\./);
    const english = await post(h, new CookieJar(), '/recover', { email: 'nope' }, {});
    assert.match(english.body, /Enter a valid email address, like name@example\.com\./);
  });

  it('words policy refusals and a weak password on /register/password in French', async () => {
    h = await start({
      policy: {
        data: {
          registration: { banned_usernames: { literals: ['admin'] } },
          banned_domains: ['spam.test'],
        },
      },
    });
    const form = {
      username: 'admin',
      email: 'bob@spam.test',
      password: 'password1',
      password_confirm: 'password1',
    };
    const french = await post(h, new CookieJar(), '/register/password', form);
    assert.equal(french.statusCode, 400);
    assert.match(french.body, /Ce nom d'utilisateur n'est pas disponible\./);
    assert.match(french.body, /Les adresses chez spam\.test ne sont pas acceptées ici\./);
    assert.match(french.body, new RegExp(WEAK.replace(/\./g, '\\.')));
    assert.doesNotMatch(french.body, /not available|too weak|are not accepted/);

    const mismatch = await post(h, new CookieJar(), '/register/password', {
      ...form,
      username: 'bob',
      password_confirm: 'something else',
    });
    assert.match(mismatch.body, /Les deux mots de passe ne correspondent pas\./);

    const english = await post(h, new CookieJar(), '/register/password', form, {});
    assert.match(english.body, /This username is not available\./);
    assert.match(english.body, /Email addresses at spam\.test are not accepted here\./);
    assert.match(english.body, /This password is too weak: .+\./);
  });

  it('says a wrong code and a resent code in French', async () => {
    h = await start();
    const registration = await startRegistration(h);
    const step = `/register/steps/${registration.id}/verify-email`;
    const wrong = await post(h, registration.jar, step, { code: '000000' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Ce code est faux ou a expiré\./);
    const resent = await post(h, registration.jar, step, { action: 'resend' });
    assert.match(resent.body, /Un nouveau code part vers alice@example\.com\./);
  });

  it('shows an expired recovery link’s error page in French', async () => {
    h = await start();
    const user = await addUser(h, 'alice', STRONG_PASSWORD);
    await h.db.storage.transaction((repos) =>
      repos.userEmails.add(h!.ctx.rng, h!.clock, user, 'alice@example.com'),
    );
    const asked = await submitForm(h, new CookieJar(), '/recover', { email: 'alice@example.com' });
    const id = locationOf(asked).split('/').at(-1)!;
    const ticket = 'T'.repeat(16) + 'x'.repeat(16);
    await h.db.storage.transaction(async (repos) => {
      const session = await repos.recovery.lookupSession(asRecoverySessionId(id));
      const [userEmail] = await repos.userEmails.listByEmail(session!.email);
      await repos.recovery.addTicket(h!.ctx.rng, h!.clock, session!, userEmail!, ticket);
    });
    h.clock.advance(10 * 60 * 1000);
    const url = `/account/password/recovery?ticket=${ticket}`;
    const french = await h.app.inject({ url, headers: FRENCH });
    assert.equal(french.statusCode, 410);
    assert.match(french.body, /<h1>Lien expiré<\/h1>/);
    assert.match(french.body, /Ce lien de récupération a expiré : demandez-en un nouveau\./);
    const english = await h.app.inject({ url });
    assert.match(english.body, /<h1>Link expired<\/h1>/);
    assert.match(english.body, /links work for 10 minutes/);
  });

  it('refuses a bad sign-in and a form without its token in French', async () => {
    h = await start();
    await addUser(h, 'alice', STRONG_PASSWORD);
    const wrong = await post(h, new CookieJar(), '/login', {
      username: 'alice',
      password: 'not the password',
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Nom d'utilisateur ou mot de passe incorrect\./);

    const refused = await h.app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...FRENCH, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=alice&password=x',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /<h1>Ce formulaire ne peut pas être accepté<\/h1>/);
    assert.match(refused.body, /Le formulaire a été envoyé sans son jeton de sécurité\./);

    // A body Fastify cannot parse gets the generic 400 page, in French too.
    const garbled = await h.app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...FRENCH, 'content-type': 'application/json' },
      payload: '{not json',
    });
    assert.equal(garbled.statusCode, 400);
    assert.match(garbled.body, /<h1>Requête incorrecte<\/h1>/);
    // Not in the French file: English.
    assert.match(garbled.body, /The request could not be understood\. Go back and try again\./);
  });
  it('words the account pages’ form errors, error pages and notices in French', async () => {
    const signed = await signedInAlice({ templates: { translations_path: dir } });
    h = signed.h;
    const jar = signed.jar;

    const password = await post(h, jar, '/account/password', {
      current_password: 'not it',
      new_password: 'x',
      new_password_confirm: 'x',
    });
    assert.equal(password.statusCode, 400);
    assert.match(password.body, /<h1>Changer votre mot de passe<\/h1>/);
    assert.match(password.body, /Ce n'est pas votre mot de passe actuel\./);
    assert.doesNotMatch(password.body, /This is not your current password/);

    const bad = await postTo(h, jar, '/account/emails', '/account/emails/add', {
      email: 'not an address',
      password: PASSWORD,
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Saisissez une adresse e-mail valide, comme nom@exemple\.fr\./);

    const unknown = await postTo(h, jar, '/account/emails', '/account/emails/remove', {
      id: '01J0000000000000000000000E',
      password: PASSWORD,
    });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /<h1>Adresse introuvable<\/h1>/);
    assert.match(unknown.body, /Cette adresse n'est pas sur votre compte\./);

    // The code mail is queued in the language of the page.
    const added = await postTo(h, jar, '/account/emails', '/account/emails/add', {
      email: 'alice@example.org',
      password: PASSWORD,
    });
    assert.equal(added.statusCode, 303, added.body.slice(0, 300));
    const jobs = await queued(h, 'send-email-authentication-code');
    assert.deepEqual(
      jobs.map((job) => job['locale']),
      ['fr'],
    );
  });

  it('records the reader’s language with a recovery request and a registration code', async () => {
    h = await start();
    const asked = await post(h, new CookieJar(), '/recover', { email: 'alice@example.com' });
    const id = locationOf(asked).split('/').at(-1)!;
    const session = await h.db.storage.transaction((repos) =>
      repos.recovery.lookupSession(asRecoverySessionId(id)),
    );
    assert.equal(session?.locale, 'fr');

    await post(h, new CookieJar(), '/register/password', {
      username: 'bob',
      email: 'bob@example.com',
      password: STRONG_PASSWORD,
      password_confirm: STRONG_PASSWORD,
    });
    const english = await post(
      h,
      new CookieJar(),
      '/register/password',
      {
        username: 'carol',
        email: 'carol@example.com',
        password: STRONG_PASSWORD,
        password_confirm: STRONG_PASSWORD,
      },
      {},
    );
    assert.equal(english.statusCode, 303);
    const jobs = await queued(h, 'send-email-authentication-code');
    assert.deepEqual(
      jobs.map((job) => job['locale']),
      ['fr', 'en'],
    );
  });

  it('shows the authorization endpoint’s error page in French', async () => {
    h = await start();
    const french = await h.app.inject({ url: '/authorize?response_type=code', headers: FRENCH });
    assert.equal(french.statusCode, 400);
    assert.match(french.body, /<h1>Demande d'autorisation invalide<\/h1>/);
    assert.match(french.body, /La demande ne nomme pas d'application \(client_id\)\./);
    const english = await h.app.inject({ url: '/authorize?response_type=code' });
    assert.match(english.body, /<h1>Invalid authorization request<\/h1>/);
    assert.match(english.body, /The request does not name a client \(client_id\)\./);
  });
});
