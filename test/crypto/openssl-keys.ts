// Test keys made with the `openssl` command at test time, in every encoding Gatehouse must read.
// Nothing binary is committed: each test file calls `makeKeyFiles()` into its own temp directory.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KEY_PASSWORD = 'correct horse battery staple';

export type KeyKind = 'rsa' | 'p256' | 'p384' | 'k256' | 'ed25519';
export type KeyFormat =
  | 'pkcs1-pem'
  | 'pkcs1-der'
  | 'pkcs1-pem-legacy-encrypted'
  | 'sec1-pem'
  | 'sec1-der'
  | 'pkcs8-pem'
  | 'pkcs8-der'
  | 'pkcs8-encrypted-pem'
  | 'pkcs8-encrypted-der';

export interface KeyFile {
  kind: KeyKind;
  format: KeyFormat;
  path: string;
  /** Set for encrypted formats. */
  password: string | undefined;
  /** The matching public key, PEM SPKI, exported by openssl itself. */
  publicPem: string;
}

export function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tempDir(prefix = 'gatehouse-keys-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const CURVES: Record<Exclude<KeyKind, 'rsa' | 'ed25519'>, string> = {
  p256: 'prime256v1',
  p384: 'secp384r1',
  k256: 'secp256k1',
};

/** Generates one key of `kind` and writes it in every format that applies to it. */
export function makeKeyFiles(dir: string, kind: KeyKind): KeyFile[] {
  const base = join(dir, `${kind}.base.pem`);
  if (kind === 'rsa')
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', base);
  else if (kind === 'ed25519') openssl('genpkey', '-algorithm', 'ed25519', '-out', base);
  else openssl('ecparam', '-name', CURVES[kind], '-genkey', '-noout', '-out', base); // SEC1 PEM
  const publicPem = openssl('pkey', '-in', base, '-pubout').toString('utf8');

  const files: KeyFile[] = [];
  const add = (format: KeyFormat, args: string[], encrypted = false) => {
    const path = join(dir, `${kind}.${format}`);
    openssl(...args, '-out', path);
    files.push({ kind, format, path, password: encrypted ? KEY_PASSWORD : undefined, publicPem });
  };
  const pass = `pass:${KEY_PASSWORD}`;

  if (kind === 'rsa') {
    add('pkcs1-pem', ['rsa', '-in', base, '-traditional']);
    add('pkcs1-der', ['rsa', '-in', base, '-traditional', '-outform', 'DER']);
    add(
      'pkcs1-pem-legacy-encrypted',
      ['rsa', '-in', base, '-traditional', '-aes256', '-passout', pass],
      true,
    );
  }
  if (kind === 'p256' || kind === 'p384' || kind === 'k256') {
    add('sec1-pem', ['ec', '-in', base]);
    add('sec1-der', ['ec', '-in', base, '-outform', 'DER']);
  }
  add('pkcs8-pem', ['pkcs8', '-topk8', '-nocrypt', '-in', base]);
  add('pkcs8-der', ['pkcs8', '-topk8', '-nocrypt', '-in', base, '-outform', 'DER']);
  add(
    'pkcs8-encrypted-pem',
    ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', pass, '-in', base],
    true,
  );
  add(
    'pkcs8-encrypted-der',
    ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', pass, '-in', base, '-outform', 'DER'],
    true,
  );
  return files;
}

/** One RSA key as a PKCS#8 PEM file: the RSA key every keystore needs. */
export function makeRsaKey(dir: string, name = 'rsa.pem', bits = 2048): string {
  const path = join(dir, name);
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', path);
  return path;
}

export function writeFile(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
