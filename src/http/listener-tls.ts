// TLS material for a listener from `tls` (inline or `_file` keys, read at start-up through
// src/config/secret-file.ts). The key may be PEM or DER, plain or encrypted with `password`; it is
// decoded here once so a wrong password or a broken file is one clear start-up error.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { HttpTlsConfig } from '../config/sections/http.ts';
import { readInlineOrFile, readInlineOrFileBytes } from '../config/secret-file.ts';

export interface TlsMaterial {
  key: string;
  cert: string;
}

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

function decodeKey(bytes: Buffer, passphrase: string | undefined): KeyObject {
  const isPem = bytes.includes('-----BEGIN');
  if (isPem)
    return createPrivateKey({
      key: bytes,
      format: 'pem',
      ...(passphrase !== undefined ? { passphrase } : {}),
    });
  // DER does not say what it holds: try the containers a key file can be in.
  const attempts = [
    { type: 'pkcs8' as const, passphrase },
    { type: 'pkcs1' as const, passphrase: undefined },
    { type: 'sec1' as const, passphrase: undefined },
  ];
  let last: unknown;
  for (const attempt of attempts) {
    try {
      return createPrivateKey({
        key: bytes,
        format: 'der',
        type: attempt.type,
        ...(attempt.passphrase !== undefined ? { passphrase: attempt.passphrase } : {}),
      });
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

export function loadTlsMaterial(tls: HttpTlsConfig): TlsMaterial {
  let password: string | undefined;
  let keyBytes: Buffer | undefined;
  let chain: string | undefined;
  try {
    password = readInlineOrFile(tls.password, tls.password_file);
    keyBytes = readInlineOrFileBytes(tls.key, tls.key_file);
    chain = readInlineOrFile(tls.certificate, tls.certificate_file);
  } catch (error) {
    throw new TlsConfigError(`cannot read TLS file: ${(error as Error).message}`);
  }
  if (keyBytes === undefined)
    throw new TlsConfigError('TLS configuration is missing a private key');
  if (chain === undefined) throw new TlsConfigError('TLS configuration is missing a certificate');

  if (
    password === undefined &&
    /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyBytes.toString('latin1'))
  ) {
    throw new TlsConfigError('the private key is encrypted: set `password` or `password_file`');
  }
  let key: KeyObject;
  try {
    key = decodeKey(keyBytes, password);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'ERR_MISSING_PASSPHRASE'
        ? 'the private key is encrypted: set `password` or `password_file`'
        : password !== undefined
          ? 'cannot decrypt the private key (wrong password?)'
          : 'the private key is not a PEM or DER private key';
    throw new TlsConfigError(reason);
  }

  const certificates =
    chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (certificates.length === 0)
    throw new TlsConfigError('TLS certificate chain is empty (or invalid)');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certificates[0]!);
  } catch {
    throw new TlsConfigError('TLS certificate chain is empty (or invalid)');
  }
  if (!leaf.checkPrivateKey(key))
    throw new TlsConfigError('the TLS private key does not match the certificate');

  return {
    key: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    cert: certificates.join('\n'),
  };
}
