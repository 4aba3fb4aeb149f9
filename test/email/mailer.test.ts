// The mailer over each transport of `email.transport`, against real receivers: the SMTP sink
// (plain, with AUTH, STARTTLS and implicit TLS with a certificate made by openssl here), a script
// standing in for the sendmail binary, and the blackhole.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { emailSchema } from '../../src/config/sections/email.ts';
import { createMailer, MailConfigError } from '../../src/email/index.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';

const message = {
  to: 'alice@example.com',
  subject: 'Your code is 012345 — ünïcode',
  text: 'Code: 012345\nLink: https://example.com/?a=1&b=2\n',
  html: '<p>Code: <strong>012345</strong></p>',
};

const FROM = '"Gatehouse Test" <auth@example.org>';
const REPLY_TO = 'support@example.org';

function smtpConfig(sink: SmtpSink, extra: Record<string, unknown> = {}) {
  return emailSchema.parse({
    transport: 'smtp',
    mode: 'plain',
    hostname: sink.host,
    port: sink.port,
    from: FROM,
    reply_to: REPLY_TO,
    ...extra,
  });
}

describe('Mailer', () => {
  let dir: string;
  let key: string;
  let cert: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-mail-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('blackhole drops messages and verifies', async () => {
    const mailer = createMailer(emailSchema.parse({}));
    assert.equal(mailer.description, 'blackhole');
    await mailer.verify();
    await mailer.send(message);
    assert.equal(mailer.from, '"Authentication Service" <root@localhost>');
  });

  it('smtp plain delivers text and HTML with From and Reply-To', async () => {
    const sink = await startSmtpSink();
    const mailer = createMailer(smtpConfig(sink));
    try {
      await mailer.verify();
      await mailer.send(message);
      const received = await sink.waitForMessage((m) => m.to.includes('alice@example.com'));
      assert.deepEqual(received.to, ['alice@example.com']);
      assert.equal(received.envelopeFrom, 'auth@example.org');
      assert.equal(received.subject, message.subject);
      assert.match(received.headers.get('from') ?? '', /Gatehouse Test.*<auth@example.org>/);
      assert.equal(received.headers.get('reply-to'), REPLY_TO);
      assert.equal(received.text.trimEnd(), message.text.trimEnd());
      assert.equal(received.html.trim(), message.html);
      assert.equal(received.secure, false);
    } finally {
      mailer.close();
      await sink.close();
    }
  });

  it('smtp authenticates with a password read from password_file, and fails with a wrong one', async () => {
    const sink = await startSmtpSink({ auth: { username: 'gate', password: 's3cret' } });
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    const good = createMailer(
      smtpConfig(sink, { username: 'gate', password_file: join(dir, 'pw') }),
    );
    const bad = createMailer(smtpConfig(sink, { username: 'gate', password: 'wrong' }));
    try {
      await good.send(message);
      const received = await sink.waitForMessage();
      assert.equal(received.user, 'gate');
      await assert.rejects(bad.send(message), /Invalid username or password|auth/i);
      await assert.rejects(bad.verify());
      assert.equal(sink.messages.length, 1);
    } finally {
      good.close();
      bad.close();
      await sink.close();
    }
  });

  it('reports an unreadable password_file as a one-line configuration error', () => {
    const config = emailSchema.parse({
      transport: 'smtp',
      mode: 'plain',
      hostname: '127.0.0.1',
      username: 'u',
      password_file: join(dir, 'missing'),
    });
    assert.throws(
      () => createMailer(config),
      (error: unknown) =>
        error instanceof MailConfigError &&
        /email.password_file: cannot read/.test(error.message) &&
        !error.message.includes('\n'),
    );
  });

  it('smtp starttls upgrades the connection and trusts only the given CA', async () => {
    const sink = await startSmtpSink({ tls: { key, cert } });
    const trusted = createMailer(smtpConfig(sink, { mode: 'starttls' }), { tlsCa: cert });
    const untrusted = createMailer(smtpConfig(sink, { mode: 'starttls' }), { smtpTimeoutMs: 5000 });
    try {
      assert.match(trusted.description, /^smtp:\/\/127\.0\.0\.1:\d+ \(starttls\)$/);
      await trusted.send(message);
      const received = await sink.waitForMessage();
      assert.equal(received.secure, true);
      await assert.rejects(untrusted.send(message), /certificate/i);
      assert.equal(sink.messages.length, 1);
    } finally {
      trusted.close();
      untrusted.close();
      await sink.close();
    }
  });

  it('smtp starttls refuses a server that does not offer STARTTLS', async () => {
    const sink = await startSmtpSink();
    const mailer = createMailer(smtpConfig(sink, { mode: 'starttls' }), { tlsCa: cert });
    try {
      await assert.rejects(mailer.send(message), /STARTTLS/i);
      assert.equal(sink.messages.length, 0);
    } finally {
      mailer.close();
      await sink.close();
    }
  });

  it('smtp tls speaks TLS from the first byte', async () => {
    const sink = await startSmtpSink({ tls: { key, cert }, secure: true });
    const mailer = createMailer(smtpConfig(sink, { mode: 'tls' }), { tlsCa: cert });
    try {
      await mailer.verify();
      await mailer.send(message);
      assert.equal((await sink.waitForMessage()).secure, true);
    } finally {
      mailer.close();
      await sink.close();
    }
  });

  it('sendmail pipes the message to the command with the envelope as arguments', async () => {
    const script = join(dir, 'fake-sendmail');
    const out = join(dir, 'sendmail-out');
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}.args'\ncat > '${out}.eml'\n`);
    chmodSync(script, 0o755);
    const mailer = createMailer(
      emailSchema.parse({ transport: 'sendmail', command: script, from: FROM, reply_to: REPLY_TO }),
    );
    await mailer.verify();
    await mailer.send(message);
    const args = readFileSync(`${out}.args`, 'utf8').split('\n');
    assert.ok(args.includes('auth@example.org'), args.join(' '));
    assert.ok(args.includes('alice@example.com'), args.join(' '));
    const raw = readFileSync(`${out}.eml`, 'utf8');
    assert.match(raw, /^To: alice@example\.com$/m);
    assert.match(raw, /^Reply-To: support@example\.org$/m);
    assert.match(raw, /012345/);
  });

  it('sendmail fails the send when the command fails', async () => {
    const script = join(dir, 'failing-sendmail');
    writeFileSync(script, '#!/bin/sh\ncat > /dev/null\nexit 75\n');
    chmodSync(script, 0o755);
    const mailer = createMailer(emailSchema.parse({ transport: 'sendmail', command: script }));
    await assert.rejects(mailer.send(message));
  });
});
