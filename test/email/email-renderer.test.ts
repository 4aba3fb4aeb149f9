// Email rendering: every built-in email renders with each of its samples (subject on one line,
// text unescaped, HTML escaped), and `templates.path` overrides an email like a page.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderEmail } from '../../src/email/index.ts';
import { emailTemplateSamples } from '../../src/templates/template-samples.ts';
import { loadTemplates, Templates } from '../../src/templates/templates.ts';

const branding = { service_name: 'Example & Co' };

describe('renderEmail', () => {
  const templates = loadTemplates({ branding });

  it('has samples for every built-in email, and each renders', () => {
    const names = new Set(
      Templates.builtinNames()
        .filter((n) => n.startsWith('emails/'))
        .map((n) => n.slice('emails/'.length).replace(/\.(subject\.txt|txt|html)$/, '')),
    );
    assert.deepEqual([...names].sort(), Object.keys(emailTemplateSamples).sort());
    for (const [name, samples] of Object.entries(emailTemplateSamples)) {
      for (const sample of samples) {
        const message = renderEmail(templates, name, 'to@example.com', sample, 'en');
        assert.equal(message.to, 'to@example.com');
        assert.ok(message.subject.length > 0, name);
        assert.doesNotMatch(message.subject, /\n/, name);
        assert.match(message.subject, /Example & Co/, name);
        assert.match(message.html, /^<!DOCTYPE html>/, name);
        assert.match(message.html, /<html lang="en">/, name);
        assert.match(message.html, /Example &amp; Co/, name);
        assert.doesNotMatch(message.text, /&amp;|&lt;|&#39;|&quot;/, name);
      }
    }
  });

  it('puts the code in the subject and both bodies, escaping only the HTML', () => {
    const message = renderEmail(
      templates,
      'verification-code',
      'a&b<c>@example.com',
      { code: '987654', email: 'a&b<c>@example.com', username: 'al<i>ce' },
      'en',
    );
    assert.equal(message.subject, 'Your Example & Co verification code is 987654');
    assert.match(message.text, /^ {4}987654$/m);
    assert.match(message.text, /a&b<c>@example\.com/);
    assert.match(message.text, /Hello al<i>ce,/);
    assert.match(message.html, /<strong[^>]*>987654<\/strong>/);
    assert.match(message.html, /a&amp;b&lt;c&gt;@example\.com/);
    assert.doesNotMatch(message.html, /<i>/);
  });

  it('puts the recovery link, unescaped, in the text body and escaped in the HTML', () => {
    const link = 'https://auth.example.com/account/password/recovery?ticket=x&y="z"';
    const message = renderEmail(
      templates,
      'recovery',
      'b@example.com',
      { username: 'bob', email: 'b@example.com', recovery_link: link },
      'en',
    );
    assert.ok(message.text.includes(link));
    assert.ok(
      message.html.includes(
        'href="https://auth.example.com/account/password/recovery?ticket=x&amp;y=&quot;z&quot;"',
      ),
    );
  });

  it('uses an override from templates.path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-email-tpl-'));
    try {
      mkdirSync(join(dir, 'emails'));
      writeFileSync(join(dir, 'emails', 'verification-code.subject.txt'), 'Code {{ code }}');
      const custom = loadTemplates({ branding, path: dir });
      const message = renderEmail(
        custom,
        'verification-code',
        'x@example.com',
        { code: '111111', email: 'x@example.com', username: null },
        'en',
      );
      assert.equal(message.subject, 'Code 111111');
      // The files not overridden are the built-in ones.
      assert.match(message.text, /111111/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
