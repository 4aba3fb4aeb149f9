// PasswordManager: known vectors made by other implementations (libxcrypt's bcrypt as Synapse
// uses it, OpenSSL's Argon2 through node:crypto, the PBKDF2-SHA256 vector of RFC 7914 §11's
// sibling in RFC 6070 style), hashing with the newest scheme, upgrade detection, the pepper and
// NFKC rules, and the concurrency cap.

import assert from 'node:assert/strict';
import { argon2Sync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { passwordsSchema } from '../../src/config/sections/passwords.ts';
import {
  loadPasswordManager,
  PasswordCheckAbortedError,
  PasswordManager,
  PasswordManagerBusyError,
  PasswordsDisabledError,
  UnknownPasswordSchemeError,
  type PasswordScheme,
} from '../../src/crypto/password-manager.ts';
import { SeededRng } from '../../src/rng.ts';

const PEPPER = 'a-secret-pepper';
// Made by Python's crypt() (libxcrypt) exactly as Synapse hashes: NFKC("ﬁsh１２３") = "fish123",
// UTF-8, with the pepper appended, bcrypt $2b$ cost 12.
const SYNAPSE_BCRYPT = '$2b$12$GhvMmNVjRW29ulnudl.LbOMvmvC4KhSSx5lna.gQZQEIyPoS6nfhS';
const SYNAPSE_PASSWORD = '\ufb01sh\uff11\uff12\uff13';
// libxcrypt, no pepper.
const PLAIN_BCRYPT = '$2b$10$abcdefghijklmnopqrstuu7gIUFBKrYXdzQy8HrouzMJyZ4cijAb2';
// OpenSSL Argon2id (node:crypto), m=19456 t=2 p=1, salt "somesaltsomesalt", secret = the pepper.
const ARGON2_PEPPERED =
  '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$cH+wCuF73zwaQn8xC9qn8lkAznMWA37R8N81BtQ3rsQ';
// PBKDF2-HMAC-SHA256("password", "salt", 4096, 32) = c5e478d5…134a, in MAS's PHC format.
const PBKDF2_VECTOR =
  '$pbkdf2-sha256$i=4096,l=32$c2FsdA$xeR41ZKIyEGqUw22hFxMjZYok6ABzk4RpJY4c6qYE0o';

function scheme(
  version: number,
  algorithm: PasswordScheme['algorithm'],
  extra: Partial<PasswordScheme> = {},
): PasswordScheme {
  return { version, algorithm, pepper: null, unicodeNormalization: false, ...extra };
}

const pepper = Buffer.from(PEPPER);
const rng = () => new SeededRng('password-manager');

describe('PasswordManager vectors', () => {
  it('verifies a Synapse bcrypt hash made with a pepper and NFKC', async () => {
    const pm = new PasswordManager(
      true,
      [scheme(1, 'bcrypt', { pepper, unicodeNormalization: true })],
      { rng: rng() },
    );
    assert.deepEqual(await pm.verify(1, SYNAPSE_BCRYPT, SYNAPSE_PASSWORD), {
      ok: true,
      needsUpgrade: false,
    });
    // The normalized form is the same password.
    assert.equal((await pm.verify(1, SYNAPSE_BCRYPT, 'fish123')).ok, true);
    assert.equal((await pm.verify(1, SYNAPSE_BCRYPT, 'fish124')).ok, false);
  });

  it('needs the pepper and the normalization for that hash', async () => {
    const noPepper = new PasswordManager(
      true,
      [scheme(1, 'bcrypt', { unicodeNormalization: true })],
      {
        rng: rng(),
      },
    );
    assert.equal((await noPepper.verify(1, SYNAPSE_BCRYPT, SYNAPSE_PASSWORD)).ok, false);
    const noNfkc = new PasswordManager(true, [scheme(1, 'bcrypt', { pepper })], { rng: rng() });
    assert.equal((await noNfkc.verify(1, SYNAPSE_BCRYPT, SYNAPSE_PASSWORD)).ok, false);
    assert.equal((await noNfkc.verify(1, SYNAPSE_BCRYPT, 'fish123')).ok, true);
  });

  it('verifies a plain bcrypt hash', async () => {
    const pm = new PasswordManager(true, [scheme(1, 'bcrypt')], { rng: rng() });
    assert.equal((await pm.verify(1, PLAIN_BCRYPT, 'hunter2')).ok, true);
    assert.equal((await pm.verify(1, PLAIN_BCRYPT, 'hunter3')).ok, false);
  });

  it('verifies an argon2id hash with the pepper as the Argon2 secret', async () => {
    const pm = new PasswordManager(true, [scheme(1, 'argon2id', { pepper })], { rng: rng() });
    assert.equal((await pm.verify(1, ARGON2_PEPPERED, 'hunter2')).ok, true);
    assert.equal((await pm.verify(1, ARGON2_PEPPERED, 'hunter3')).ok, false);
    const unpeppered = new PasswordManager(true, [scheme(1, 'argon2id')], { rng: rng() });
    assert.equal((await unpeppered.verify(1, ARGON2_PEPPERED, 'hunter2')).ok, false);
  });

  it('makes argon2id hashes with m=19456 t=2 p=1 that OpenSSL reproduces', async () => {
    const pm = new PasswordManager(true, [scheme(3, 'argon2id', { pepper })], { rng: rng() });
    const { version, hash } = await pm.hash('correct horse');
    assert.equal(version, 3);
    const match = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(
      hash,
    );
    assert.ok(match, hash);
    const tag = argon2Sync('argon2id', {
      message: Buffer.from('correct horse'),
      nonce: Buffer.from(match[1]!, 'base64'),
      parallelism: 1,
      tagLength: 32,
      memory: 19456,
      passes: 2,
      secret: pepper,
    });
    assert.equal(tag.toString('base64').replace(/=+$/, ''), match[2]);
  });

  it('verifies PBKDF2 in MAS format and makes 600000-round SHA-256 hashes', async () => {
    const pm = new PasswordManager(true, [scheme(1, 'pbkdf2')], { rng: rng() });
    assert.equal((await pm.verify(1, PBKDF2_VECTOR, 'password')).ok, true);
    assert.equal((await pm.verify(1, PBKDF2_VECTOR, 'passwore')).ok, false);
    const peppered = new PasswordManager(true, [scheme(1, 'pbkdf2', { pepper })], { rng: rng() });
    const { hash } = await peppered.hash('fish123');
    assert.match(hash, /^\$pbkdf2-sha256\$i=600000,l=32\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal((await peppered.verify(1, hash, 'fish123')).ok, true);
    assert.equal((await pm.verify(1, hash, 'fish123')).ok, false);
  });

  it('treats malformed hashes as mismatches', async () => {
    const pm = new PasswordManager(
      true,
      [scheme(1, 'bcrypt'), scheme(2, 'pbkdf2'), scheme(3, 'argon2id')],
      { rng: rng() },
    );
    for (const version of [1, 2, 3]) {
      for (const bad of [
        '',
        'garbage',
        '$2b$12$short',
        '$pbkdf2-sha256$i=x$a$b',
        '$argon2id$v=19$',
      ]) {
        assert.equal((await pm.verify(version, bad, 'x')).ok, false, `${version} ${bad}`);
      }
    }
  });
});

describe('PasswordManager schemes', () => {
  it('hashes with the highest version and asks to upgrade older ones', async () => {
    const pm = new PasswordManager(
      true,
      [scheme(2, 'argon2id'), scheme(1, 'bcrypt', { pepper, unicodeNormalization: true, cost: 4 })],
      { rng: rng() },
    );
    assert.equal(pm.currentVersion, 2);
    assert.deepEqual(await pm.verify(1, SYNAPSE_BCRYPT, SYNAPSE_PASSWORD), {
      ok: true,
      needsUpgrade: true,
    });
    assert.deepEqual(await pm.verify(1, SYNAPSE_BCRYPT, 'wrong'), {
      ok: false,
      needsUpgrade: false,
    });
    const { version, hash } = await pm.hash(SYNAPSE_PASSWORD);
    assert.equal(version, 2);
    assert.deepEqual(await pm.verify(2, hash, SYNAPSE_PASSWORD), { ok: true, needsUpgrade: false });
    await assert.rejects(pm.verify(7, hash, 'x'), UnknownPasswordSchemeError);
  });

  it('makes $2b$ bcrypt hashes with the configured cost', async () => {
    const pm = new PasswordManager(true, [scheme(1, 'bcrypt', { cost: 5, pepper })], {
      rng: rng(),
    });
    const { hash } = await pm.hash('hunter2');
    assert.match(hash, /^\$2b\$05\$/);
    assert.equal((await pm.verify(1, hash, 'hunter2')).ok, true);
  });

  it('refuses everything when disabled', async () => {
    const pm = await loadPasswordManager(passwordsSchema.parse({ enabled: false }), { rng: rng() });
    assert.equal(pm.enabled, false);
    await assert.rejects(pm.hash('x'), PasswordsDisabledError);
    await assert.rejects(pm.verify(1, 'x', 'x'), PasswordsDisabledError);
  });

  it('loads the config, with a pepper from secret_file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pm-'));
    try {
      writeFileSync(join(dir, 'pepper'), PEPPER);
      const config = passwordsSchema.parse({
        schemes: [
          {
            version: 1,
            algorithm: 'bcrypt',
            unicode_normalization: true,
            secret_file: join(dir, 'pepper'),
          },
          { version: 2, algorithm: 'argon2id' },
        ],
      });
      const pm = await loadPasswordManager(config, { rng: rng() });
      assert.equal(pm.enabled, true);
      assert.equal(pm.currentVersion, 2);
      assert.deepEqual(await pm.verify(1, SYNAPSE_BCRYPT, SYNAPSE_PASSWORD), {
        ok: true,
        needsUpgrade: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PasswordManager concurrency', () => {
  for (const algorithm of ['argon2id', 'bcrypt', 'pbkdf2'] as const) {
    it(`hashes ${algorithm} off the event loop`, async () => {
      const pm = new PasswordManager(true, [scheme(1, algorithm, { cost: 8 })], { rng: rng() });
      // Work done synchronously inside hash() would settle the promise before any macrotask.
      let loopTurned = false;
      const settled = pm.hash('x').then(() => loopTurned);
      setImmediate(() => {
        loopTurned = true;
      });
      assert.equal(await settled, true);
    });
  }

  it('answers busy when the slots and the waiting line are full', async () => {
    const pm = new PasswordManager(true, [scheme(1, 'bcrypt', { cost: 10 })], {
      rng: rng(),
      concurrency: 1,
      maxWaiting: 1,
      maxWaitMs: 10_000,
    });
    const results = await Promise.allSettled([pm.hash('a'), pm.hash('b'), pm.hash('c')]);
    assert.equal(results[0]!.status, 'fulfilled');
    assert.equal(results[1]!.status, 'fulfilled');
    assert.equal(results[2]!.status, 'rejected');
    assert.ok((results[2] as PromiseRejectedResult).reason instanceof PasswordManagerBusyError);
    // Once the burst is over, hashing works again.
    assert.equal((await pm.verify(1, (await pm.hash('d')).hash, 'd')).ok, true);
  });

  it('gives up waiting after maxWaitMs', async () => {
    const pm = new PasswordManager(true, [scheme(1, 'bcrypt', { cost: 12 })], {
      rng: rng(),
      concurrency: 1,
      maxWaiting: 5,
      maxWaitMs: 1,
    });
    const results = await Promise.allSettled([pm.hash('a'), pm.hash('b')]);
    assert.equal(results[0]!.status, 'fulfilled');
    assert.equal(results[1]!.status, 'rejected');
    assert.ok((results[1] as PromiseRejectedResult).reason instanceof PasswordManagerBusyError);
  });

  it('lets a caller whose signal aborts leave the waiting line without hashing', async () => {
    const pm = new PasswordManager(true, [scheme(1, 'bcrypt', { cost: 10 })], {
      rng: rng(),
      concurrency: 1,
      maxWaiting: 1,
      maxWaitMs: 10_000,
    });
    const stored = (await pm.hash('pw')).hash;
    const running = pm.hash('a');
    const controller = new AbortController();
    const leaving = pm.verify(1, stored, 'pw', controller.signal);
    controller.abort();
    await assert.rejects(leaving, PasswordCheckAbortedError);
    // Its place in the line is free again: the next caller waits instead of being refused busy.
    const next = pm.verify(1, stored, 'pw');
    await running;
    assert.equal((await next).ok, true);
    // A signal aborted already is refused before anything, even with a slot free.
    await assert.rejects(
      pm.verify(1, stored, 'pw', AbortSignal.abort()),
      PasswordCheckAbortedError,
    );
    await assert.rejects(pm.verifyNothing('pw', AbortSignal.abort()), PasswordCheckAbortedError);
  });

  it('verifyNothing does the work of a real verification (it takes a hashing slot) and answers nothing', async () => {
    const pm = new PasswordManager(true, [scheme(1, 'bcrypt', { cost: 12 })], {
      rng: rng(),
      concurrency: 1,
      maxWaiting: 0,
      maxWaitMs: 10_000,
    });
    await pm.verifyNothing('warm-up'); // makes the process's dummy hash
    // It competes for the only slot with a real hash: one of the two gets it, the other is refused.
    // (Were it free, both would succeed.)
    const results = await Promise.allSettled([pm.verifyNothing('guess'), pm.hash('x')]);
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 1);
    assert.ok((refused[0] as PromiseRejectedResult).reason instanceof PasswordManagerBusyError);
    // Alone, it answers nothing and does not throw.
    assert.equal(await pm.verifyNothing('guess'), undefined);
  });
});
