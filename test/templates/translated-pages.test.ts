// Translations reach every string of the registration, recovery, device, compat SSO, sign-in,
// consent, sign-out, link, error, account and session-limit pages (the messages handlers pass in
// included): with a
// pseudo-translation of the whole English file (every piece of text marked), each page rendered
// with each of its sample contexts shows no text that is neither
// translated nor data from the context, i.e. no English left in the template itself. Every key a
// template names exists in translations/en.json. And through the real app, a French file given in
// `templates.translations_path` turns the registration and recovery pages and the 429 page French.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { BUILTIN_TRANSLATIONS_PATH, Translations } from '../../src/templates/i18n.ts';
import { templateSamples } from '../../src/templates/template-samples.ts';
import { BUILTIN_TEMPLATES_PATH, loadTemplates } from '../../src/templates/templates.ts';
import {
  CookieJar,
  get,
  startRegistrationApp,
  submitForm,
  type TestApp,
} from '../http/human/register-kit.ts';

const MARK = '‹fr›';

/**
 * Marks every run of text outside tags (placeholders included) with MARK, and the text after each
 * placeholder too (a variable may hold markup, e.g. a link, that ends the run it started in).
 */
function pseudo(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .replace(/(^|>)([^<]+)/g, (_whole, open: string, text: string) =>
        text.trim() === '' ? open + text : `${open}${MARK}${text}`,
      )
      .replace(/\}\}(?=[^<]*\S)/g, `}}${MARK}`);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        key.startsWith('@') ? inner : pseudo(inner),
      ]),
    );
  }
  return value;
}

/**
 * Every string leaf of a sample context: text that comes from the handler, not the template. The
 * `key` of a handler's message (src/http/handlers/human/page-message.ts) is not text: the page
 * must show its translation.
 */
function contextStrings(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') into.add(value);
  else if (typeof value === 'object' && value !== null) {
    for (const [name, inner] of Object.entries(value)) {
      if (name !== 'key') contextStrings(inner, into);
    }
  }
  return into;
}

const decode = (text: string): string =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/** The page's visible text runs (between tags), decoded and trimmed, without empty ones. */
function textRuns(html: string): string[] {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<!DOCTYPE[^>]*>/i, '')
    .split(/<[^>]*>/)
    .map((run) => decode(run).trim())
    .filter((run) => run !== '');
}

const PAGES = [
  'pages/register.html',
  'pages/register-password.html',
  'pages/register-verify-email.html',
  'pages/register-token.html',
  'pages/register-display-name.html',
  'pages/recover.html',
  'pages/recover-progress.html',
  'pages/recover-ticket.html',
  'pages/recover-done.html',
  'pages/device-consent.html',
  'pages/device-done.html',
  'pages/compat-sso-continue.html',
  'pages/link.html',
  'pages/logged-out.html',
  'pages/logout-confirm.html',
  'pages/login-disabled.html',
  'pages/error.html',
  'pages/login.html',
  'pages/consent.html',
  'pages/account.html',
  'pages/account-consents.html',
  'pages/account-cross-signing.html',
  'pages/account-deactivate.html',
  'pages/account-deactivated.html',
  'pages/account-email-verify.html',
  'pages/account-emails.html',
  'pages/account-password.html',
  'pages/account-profile.html',
  'pages/account-session.html',
  'pages/account-sessions.html',
  'pages/account-tokens.html',
  'pages/session-limit.html',
];

describe('translated pages', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-pseudo-'));
    const english = JSON.parse(readFileSync(join(BUILTIN_TRANSLATIONS_PATH, 'en.json'), 'utf8'));
    writeFileSync(join(dir, 'fr.json'), JSON.stringify(pseudo(english)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves no untranslated text in the registration, recovery, device, account and other pages', () => {
    const branding = { service_name: 'Exemple' };
    const templates = loadTemplates({ branding, translationsPath: dir });
    for (const name of PAGES) {
      const samples = templateSamples[name];
      assert.ok(samples !== undefined && samples.length > 0, `no samples for ${name}`);
      for (const sample of samples) {
        const html = templates.render(name, sample, { acceptLanguage: 'fr' });
        assert.match(html, /<html lang="fr">/);
        const data = contextStrings({ ...sample, branding });
        // The provider buttons' labels are data of the upstream providers (not these pages').
        // (The <title> joins the page's title and the service name with " – ".)
        const untranslated = textRuns(html)
          .flatMap((run) => run.split(' – '))
          .filter(
            (run) =>
              !run.includes(MARK) &&
              !data.has(run) &&
              !/^[\s–·|:.,!?()]*$/.test(run) &&
              !/^Continue with /.test(run),
          );
        assert.deepEqual(untranslated, [], `${name}: English left in the template`);
      }
    }
  });
});

describe('translation keys used by templates', () => {
  /** Every literal key in `_("…")`, `t("…")` and `"…" | t` of every built-in template. */
  function usedKeys(): Map<string, string> {
    const keys = new Map<string, string>();
    const walk = (folder: string): void => {
      for (const entry of readdirSync(folder)) {
        const path = join(folder, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(html|txt)$/.test(entry)) {
          // Without comments, which may show the syntax (`_("key", {vars})`).
          const source = readFileSync(path, 'utf8').replace(/\{#[\s\S]*?#\}/g, '');
          const patterns = [
            /(?<![\w.])(?:_|t)\(\s*(["'])([^"'{}]+)\1/g,
            /(["'])([^"'{}\s]+)\1\s*\|\s*t\b/g,
          ];
          for (const pattern of patterns) {
            for (const match of source.matchAll(pattern)) keys.set(match[2]!, entry);
          }
        }
      }
    };
    walk(BUILTIN_TEMPLATES_PATH);
    return keys;
  }

  it('finds the keys templates use', () => {
    const keys = usedKeys();
    assert.ok(keys.has('register.verify_email.title'));
    assert.ok(keys.has('recover.progress.sent'));
    assert.ok(keys.size > 50, `only ${keys.size} keys found`);
  });

  it('has every one of them in translations/en.json', () => {
    const english = new Set(new Translations().keys());
    const missing = [...usedKeys()]
      .filter(([key]) => !english.has(key))
      .map(([key, file]) => `${file}: ${key}`);
    assert.deepEqual(missing, []);
  });

  it('has every rate-limit message the 429 page can show', () => {
    const t = new Translations();
    for (const unit of ['seconds', 'minutes', 'hours']) {
      const message = t.translate('en', `rate_limit.wait_${unit}`, { count: 2 });
      assert.equal(
        message,
        `There have been too many attempts. Wait about 2 ${unit} and try again.`,
      );
    }
    assert.equal(t.translate('en', 'rate_limit.title'), 'Too many attempts');
  });
});

describe('a French translations_path on the real app', () => {
  let h: TestApp | undefined;
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-fr-'));
    writeFileSync(
      join(dir, 'fr.json'),
      JSON.stringify({
        common: { continue: 'Continuer' },
        register: {
          title: 'Créer un compte',
          heading: 'Créer un compte sur {{service_name}}',
          password: { username: "Nom d'utilisateur", password: 'Mot de passe' },
        },
        recover: {
          start: { title: 'Réinitialiser votre mot de passe', submit: 'Envoyer le lien' },
          progress: {
            title: 'Consultez vos e-mails',
            sent: 'Si un compte utilise <strong>{{email}}</strong>, nous lui avons envoyé un lien.',
          },
        },
        rate_limit: {
          title: 'Trop de tentatives',
          wait_minutes: {
            one: 'Trop de tentatives. Attendez environ {{count}} minute.',
            other: 'Trop de tentatives. Attendez environ {{count}} minutes.',
          },
        },
      }),
    );
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const french = { 'accept-language': 'fr-FR, fr;q=0.9, en;q=0.5' };

  it('shows the registration and recovery pages in French', async () => {
    h = await startRegistrationApp({ templates: { translations_path: dir } });
    const register = await h.app.inject({ url: '/register/password', headers: french });
    assert.equal(register.statusCode, 200);
    assert.match(register.body, /<html lang="fr">/);
    assert.match(register.body, /<h1>Créer un compte sur Example Auth<\/h1>/);
    assert.match(register.body, /<label for="field-username">Nom d'utilisateur<\/label>/);
    assert.match(register.body, />Continuer<\/button>/);
    // Not in fr.json: English.
    assert.match(register.body, /<label for="field-email">Email address<\/label>/);

    const recover = await h.app.inject({ url: '/recover', headers: french });
    assert.match(recover.body, /<h1>Réinitialiser votre mot de passe<\/h1>/);
    assert.match(recover.body, />Envoyer le lien<\/button>/);

    const jar = new CookieJar();
    const asked = await submitForm(h, jar, '/recover', { email: 'alice@example.com' });
    const progress = await h.app.inject({
      url: asked.headers.location as string,
      headers: { ...jar.header(), ...french },
    });
    assert.match(progress.body, /<h1>Consultez vos e-mails<\/h1>/);
    assert.match(
      progress.body,
      /Si un compte utilise <strong>alice@example\.com<\/strong>, nous lui avons envoyé un lien\./,
    );
    // Without the header, English.
    const english = await get(h, jar, asked.headers.location as string);
    assert.match(english.body, /<h1>Check your email<\/h1>/);
  });

  it('shows the 429 page in French', async () => {
    h = await startRegistrationApp({
      templates: { translations_path: dir },
      rate_limiting: { account_recovery: { per_ip: { burst: 1, per_second: 1 / 120 } } },
    });
    assert.equal(
      (await submitForm(h, new CookieJar(), '/recover', { email: 'a@example.com' })).statusCode,
      303,
    );
    const jar = new CookieJar();
    const page = await get(h, jar, '/recover');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const refused = await h.app.inject({
      method: 'POST',
      url: '/recover',
      headers: { ...jar.header(), ...french, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ csrf, email: 'b@example.com' }).toString(),
    });
    assert.equal(refused.statusCode, 429);
    assert.match(refused.body, /<h1>Trop de tentatives<\/h1>/);
    assert.match(refused.body, /Trop de tentatives\. Attendez environ 2 minutes\./);
    assert.match(refused.body, /<html lang="fr">/);
  });
});
