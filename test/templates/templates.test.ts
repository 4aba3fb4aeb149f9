// Templates: every built-in page renders with each of its sample contexts, shows the branding and
// escapes its context; `templates.path` overrides one file while the rest stay built in; `reload()`
// picks up an edited override.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { templateSamples } from '../../src/templates/template-samples.ts';
import { loadTemplates, TemplateError, Templates } from '../../src/templates/templates.ts';
import { createLogger } from '../../src/telemetry/logger.ts';

const branding = {
  service_name: 'Example & Co',
  policy_uri: 'https://example.com/privacy',
  tos_uri: 'https://example.com/tos',
  imprint: 'Example GmbH, Berlin',
};

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-templates-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('built-in templates', () => {
  const templates = loadTemplates({ branding });

  it('has samples for every page, and every page renders with each of them', () => {
    const pages = Templates.builtinNames().filter((n) => n.startsWith('pages/'));
    assert.ok(pages.length >= 4, pages.join(', '));
    assert.deepEqual(Object.keys(templateSamples).sort(), pages);
    for (const [name, samples] of Object.entries(templateSamples)) {
      for (const sample of samples) {
        const html = templates.render(name, sample);
        assert.match(html, /^<!DOCTYPE html>/, name);
        assert.match(html, /<html lang="en">/, name);
        assert.match(html, /<meta name="viewport"/, name);
        assert.match(html, /<main id="main"/, name);
        assert.match(html, /<h1>/, name);
        // Branding on every page, escaped.
        assert.match(html, /Example &amp; Co/, name);
        assert.match(html, /href="https:\/\/example.com\/privacy"/, name);
        assert.match(html, /href="https:\/\/example.com\/tos"/, name);
        assert.match(html, /Example GmbH, Berlin/, name);
        // No inline script or style: the CSP forbids them. Only same-origin script files.
        assert.doesNotMatch(
          html,
          /style=|<script(?![^>]* src="[^"]*assets\/[a-z-]+\.js")[^>]*>/,
          name,
        );
        assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/, name);
      }
    }
  });

  it('escapes context values', () => {
    const html = templates.render('pages/login.html', {
      base_path: '/',
      csrf_token: 't',
      next: '/x?a="><script>',
      username: '<b>alice</b>',
      error: '<i>bad</i>',
    });
    assert.doesNotMatch(html, /<script>|<b>alice|<i>bad/);
    assert.match(html, /value="\/x\?a=&quot;&gt;&lt;script&gt;"/);
    assert.match(html, /&lt;b&gt;alice&lt;\/b&gt;/);
  });

  it('labels every form field and carries the CSRF token', () => {
    const html = templates.render('pages/login.html', { base_path: '/auth/', csrf_token: 'tok' });
    assert.match(html, /<label for="field-username">Username<\/label>/);
    assert.match(html, /<input id="field-username" name="username"/);
    assert.match(html, /<label for="field-password">Password<\/label>/);
    assert.match(html, /type="password" autocomplete="current-password"/);
    assert.match(html, /<input type="hidden" name="csrf" value="tok">/);
    assert.match(html, /action="\/auth\/login"/);
    assert.match(html, /href="\/auth\/assets\/gatehouse.css"/);
  });

  it('leaves out legal links that are not configured, and falls back for the service name', () => {
    const plain = loadTemplates({ branding: {}, defaultServiceName: 'matrix.example.org' });
    const html = plain.render('pages/login-disabled.html', { base_path: '/' });
    assert.match(html, /matrix.example.org/);
    assert.doesNotMatch(html, /Privacy policy|Terms of service|imprint/);
  });

  it('reports a missing template as a TemplateError naming it', () => {
    assert.throws(
      () => templates.render('pages/nope.html', {}),
      (e: unknown) =>
        e instanceof TemplateError && e.message.startsWith('template pages/nope.html:'),
    );
  });
});

describe('templates.path', () => {
  it('overrides one file and keeps the others built in', () => {
    withDir((dir) => {
      mkdirSync(join(dir, 'pages'));
      writeFileSync(
        join(dir, 'pages', 'login-disabled.html'),
        '{% extends "base.html" %}{% block title %}Closed{% endblock %}' +
          '{% block content %}<h1>Ask {{ branding.service_name }} at the desk</h1>{% endblock %}',
      );
      const templates = loadTemplates({ path: dir, branding });
      const overridden = templates.render('pages/login-disabled.html', { base_path: '/' });
      assert.match(overridden, /<h1>Ask Example &amp; Co at the desk<\/h1>/);
      assert.match(overridden, /<title>Closed – Example &amp; Co<\/title>/);
      // The layout it extends is still the built-in one.
      assert.match(overridden, /Privacy policy/);
      const builtIn = templates.render('pages/index.html', { base_path: '/', user: null });
      assert.match(builtIn, /You are not signed in/);
    });
  });

  it('reads an edited override again after reload()', () => {
    withDir((dir) => {
      mkdirSync(join(dir, 'pages'));
      const file = join(dir, 'pages', 'error.html');
      writeFileSync(file, 'first {{ message }}');
      const templates = loadTemplates({ path: dir, branding });
      assert.equal(templates.render('pages/error.html', { message: 'm' }), 'first m');
      writeFileSync(file, 'second {{ message }}');
      assert.equal(templates.render('pages/error.html', { message: 'm' }), 'first m');
      templates.reload();
      assert.equal(templates.render('pages/error.html', { message: 'm' }), 'second m');
    });
  });

  it('warns and uses the built-in templates when the folder does not exist', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ level: 'warn', destination });
    const templates = loadTemplates({ path: '/nonexistent/gatehouse-templates', branding, logger });
    assert.match(templates.render('pages/index.html', { base_path: '/' }), /Sign in/);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /templates.path does not exist/);
  });
});
