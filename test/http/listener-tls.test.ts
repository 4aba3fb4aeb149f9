import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request, startTestServers } from './http-test-kit.ts';

let dir: string;
let cert: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-tls-'));
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  );
  openssl(
    'pkcs8',
    '-topk8',
    '-in',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'key-encrypted.pem'),
    '-passout',
    'pass:s3cret',
    '-v2',
    'aes-256-cbc',
  );
  openssl('pkey', '-in', join(dir, 'key.pem'), '-outform', 'DER', '-out', join(dir, 'key.der'));
  writeFileSync(join(dir, 'password.txt'), 's3cret\n');
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
});

after(() => rmSync(dir, { recursive: true, force: true }));

const listener = (tls: Record<string, string | undefined>) => ({
  listeners: [
    { name: 'tls', resources: [{ name: 'health' }], binds: [{ host: '127.0.0.1', port: 0 }], tls },
  ],
});

describe('listener TLS', () => {
  it('serves HTTPS with a certificate and a plain key from files', async () => {
    const t = await startTestServers(
      listener({ certificate_file: join(dir, 'cert.pem'), key_file: join(dir, 'key.pem') }),
    );
    try {
      const res = await request(t.address(), '/health', { ca: cert });
      assert.equal(res.status, 200);
      assert.equal(res.text, 'ok');
      // Plain HTTP on a TLS listener does not get through.
      await assert.rejects(request(t.address(), '/health'));
    } finally {
      await t.close();
    }
  });

  it('serves HTTPS with an encrypted key and `password_file`', async () => {
    const t = await startTestServers(
      listener({
        certificate_file: join(dir, 'cert.pem'),
        key_file: join(dir, 'key-encrypted.pem'),
        password_file: join(dir, 'password.txt'),
      }),
    );
    try {
      assert.equal((await request(t.address(), '/health', { ca: cert })).text, 'ok');
    } finally {
      await t.close();
    }
  });

  it('serves HTTPS with inline PEM, an inline password, and with a DER key file', async () => {
    for (const tls of [
      {
        certificate: cert,
        key: readFileSync(join(dir, 'key-encrypted.pem'), 'utf8'),
        password: 's3cret',
      },
      { certificate: cert, key_file: join(dir, 'key.der') },
    ]) {
      const t = await startTestServers(listener(tls));
      try {
        assert.equal((await request(t.address(), '/health', { ca: cert })).text, 'ok');
      } finally {
        await t.close();
      }
    }
  });

  it('fails to start with one clear line when the key cannot be used', async () => {
    const encrypted = join(dir, 'key-encrypted.pem');
    await assert.rejects(
      startTestServers(
        listener({
          certificate_file: join(dir, 'cert.pem'),
          key_file: encrypted,
          password: 'wrong',
        }),
      ),
      (error: Error) =>
        error.message ===
        'http.listeners[0] (tls).tls: cannot decrypt the private key (wrong password?)',
    );
    await assert.rejects(
      startTestServers(listener({ certificate_file: join(dir, 'cert.pem'), key_file: encrypted })),
      /tls: the private key is encrypted: set `password` or `password_file`/,
    );
    await assert.rejects(
      startTestServers(
        listener({ certificate: 'not a certificate', key_file: join(dir, 'key.pem') }),
      ),
      /tls: TLS certificate chain is empty \(or invalid\)/,
    );
  });
});
