// Translations: a French file from `templates.translations_path` overrides some strings, missing
// keys fall back to English, the language is chosen from `ui_locales` before `Accept-Language`
// (both through Templates.render and through a real page response), variables are escaped while
// the message's own markup is kept, and broken files are reported naming the file.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { sendPage } from '../../src/http/handlers/human/page.ts';
import type { UrlBuilder } from '../../src/http/url-builder.ts';
import { parseAcceptLanguage, TranslationError, Translations } from '../../src/templates/i18n.ts';
import { loadTemplates, type Templates } from '../../src/templates/templates.ts';

const FRENCH = {
  '@note': 'ignored: a note for translators',
  login: {
    title: 'Connexion',
    heading: 'Se connecter à {{service_name}}',
    username: "Nom d'utilisateur",
  },
  common: { signed_in_as: 'Vous êtes connecté en tant que <strong>{{username}}</strong>.' },
  items: { one: '{{count}} élément', other: '{{count}} éléments' },
};

describe('translations', () => {
  let dir: string;
  let templates: Templates;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-i18n-'));
    writeFileSync(join(dir, 'fr.json'), JSON.stringify(FRENCH));
    writeFileSync(join(dir, 'README.txt'), 'not a translation');
    templates = loadTemplates({ branding: { service_name: 'Exemple' }, translationsPath: dir });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const login = { base_path: '/', csrf_token: 't', next: null, username: '', error: null };

  it('renders English by default', () => {
    const html = templates.render('pages/login.html', login);
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<h1>Sign in to Exemple<\/h1>/);
    assert.match(html, /<label for="field-username">Username<\/label>/);
  });

  it('uses the French file, falling back to English for keys it lacks', () => {
    const html = templates.render('pages/login.html', login, { acceptLanguage: 'fr-CH, en;q=0.5' });
    assert.match(html, /<html lang="fr">/);
    assert.match(html, /<title>Connexion – Exemple<\/title>/);
    assert.match(html, /<h1>Se connecter à Exemple<\/h1>/);
    assert.match(html, /<label for="field-username">Nom d'utilisateur<\/label>/);
    // Not in fr.json: English.
    assert.match(html, /<label for="field-password">Password<\/label>/);
    assert.match(html, />Continue<\/button>/);
  });

  it('prefers ui_locales over Accept-Language', () => {
    const fr = templates.render('pages/login.html', login, {
      uiLocales: 'de fr',
      acceptLanguage: 'en',
    });
    assert.match(fr, /<h1>Se connecter à Exemple<\/h1>/);
    const en = templates.render('pages/login.html', login, {
      uiLocales: 'en',
      acceptLanguage: 'fr',
    });
    assert.match(en, /<h1>Sign in to Exemple<\/h1>/);
    // A ui_locales with no known language leaves the choice to the header.
    const header = templates.render('pages/login.html', login, {
      uiLocales: 'de ja',
      acceptLanguage: 'fr',
    });
    assert.match(header, /<h1>Se connecter à Exemple<\/h1>/);
  });

  it('escapes variables but keeps the markup of the message', () => {
    const html = templates.render(
      'pages/index.html',
      { base_path: '/', csrf_token: 't', user: { username: '<b>x</b>' } },
      { uiLocales: 'fr' },
    );
    assert.match(html, /Vous êtes connecté en tant que <strong>&lt;b&gt;x&lt;\/b&gt;<\/strong>\./);
  });

  it('chooses languages, falls back key by key, and handles plurals', () => {
    const t = templates.translations;
    assert.deepEqual(t.locales(), ['en', 'fr']);
    assert.equal(t.choose({}), 'en');
    assert.equal(t.choose({ acceptLanguage: 'de, fr;q=0.8, en;q=0.9' }), 'en');
    assert.equal(t.choose({ acceptLanguage: 'de, fr;q=0.9, en;q=0.8' }), 'fr');
    assert.equal(t.choose({ acceptLanguage: 'fr;q=0, en' }), 'en');
    assert.equal(t.choose({ uiLocales: 'FR_ca' }), 'fr');
    assert.equal(t.translate('fr', 'login.title'), 'Connexion');
    assert.equal(t.translate('fr-CA', 'login.title'), 'Connexion');
    assert.equal(t.translate('fr', 'login.password'), 'Password');
    assert.equal(t.translate('fr', 'no.such.key'), 'no.such.key');
    assert.equal(t.translate('fr', 'items', { count: 1 }), '1 élément');
    assert.equal(t.translate('fr', 'items', { count: 3 }), '3 éléments');
    assert.equal(t.translate('fr', '@note'), '@note');
    assert.ok(t.keys().includes('login.heading'));
  });

  it('parses Accept-Language by quality, then order', () => {
    assert.deepEqual(parseAcceptLanguage('da, en-GB;q=0.8, en;q=0.7, *;q=0.1'), [
      'da',
      'en-GB',
      'en',
    ]);
    assert.deepEqual(parseAcceptLanguage('x;q=0.5, fr;q=0.5, de;q=0.9'), ['de', 'fr']);
    assert.deepEqual(parseAcceptLanguage(''), []);
  });

  it('picks the language of a real page response from its request', async () => {
    const app = Fastify();
    const urls = { basePath: '/' } as UrlBuilder;
    app.get('/page', (_request, reply) =>
      sendPage(reply, { templates, urls }, 'pages/login.html', login),
    );
    app.get('/consent-like', (_request, reply) =>
      sendPage(reply, { templates, urls }, 'pages/login.html', { ...login, ui_locales: 'fr' }),
    );
    try {
      const byHeader = await app.inject({ url: '/page', headers: { 'accept-language': 'fr' } });
      assert.match(byHeader.body, /<h1>Se connecter à Exemple<\/h1>/);
      const byQuery = await app.inject({
        url: '/page?ui_locales=fr',
        headers: { 'accept-language': 'en' },
      });
      assert.match(byQuery.body, /<h1>Se connecter à Exemple<\/h1>/);
      const queryLoses = await app.inject({
        url: '/page?ui_locales=en',
        headers: { 'accept-language': 'fr' },
      });
      assert.match(queryLoses.body, /<h1>Sign in to Exemple<\/h1>/);
      const byContext = await app.inject({
        url: '/consent-like',
        headers: { 'accept-language': 'en' },
      });
      assert.match(byContext.body, /<h1>Se connecter à Exemple<\/h1>/);
    } finally {
      await app.close();
    }
  });
});

describe('translation files', () => {
  it('reports a broken file naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-i18n-'));
    try {
      writeFileSync(join(dir, 'de.json'), '{"login": {"title": 3}}');
      assert.throws(
        () => new Translations({ path: dir }),
        (e: unknown) =>
          e instanceof TranslationError && /de\.json: login\.title must be/.test(e.message),
      );
      writeFileSync(join(dir, 'de.json'), '{not json');
      assert.throws(
        () => new Translations({ path: dir }),
        (e: unknown) => e instanceof TranslationError && /de\.json: /.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets an en.json override built-in English strings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-i18n-'));
    try {
      writeFileSync(join(dir, 'en.json'), '{"login": {"title": "Log on"}}');
      const t = new Translations({ path: dir });
      assert.equal(t.translate('en', 'login.title'), 'Log on');
      assert.equal(t.translate('en', 'login.password'), 'Password');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
