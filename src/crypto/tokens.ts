// Opaque tokens in MAS's format, so Synapse, clients and operators' tooling see the same shapes:
//
//   {prefix}_{30 random [A-Za-z0-9]}_{checksum}
//
// The checksum is the CRC-32 (ISO-HDLC) of `{prefix}_{random}` written in base62 (alphabet
// 0-9A-Za-z) least-significant digit first, then left-padded with '0' to 6 characters — MAS's
// exact encoding, digit order included. It lets a typo or a token of the wrong kind be rejected
// before any database access. Gatehouse stores only the SHA-256 of a token (`tokenHash`).

import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { randomString, type Rng } from '../rng.ts';

export const TOKEN_PREFIXES = {
  accessToken: 'mat',
  refreshToken: 'mar',
  compatAccessToken: 'mct',
  compatRefreshToken: 'mcr',
  personalAccessToken: 'mpt',
} as const;

export type TokenKind = keyof typeof TOKEN_PREFIXES;
export type TokenPrefix = (typeof TOKEN_PREFIXES)[TokenKind];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const SHAPE = /^(mat|mar|mct|mcr|mpt)_([0-9A-Za-z]{30})_([0-9A-Za-z]{6})$/;

/** MAS's checksum of `{prefix}_{random}`. */
export function tokenChecksum(body: string): string {
  // crc32 takes the string itself (UTF-8, which is ASCII for every well-formed body). A body with
  // other characters never matches SHAPE, so checkToken never gets here with one.
  let value = crc32(body) >>> 0;
  let digits = '';
  while (value > 0) {
    digits += BASE62[value % 62];
    value = Math.floor(value / 62);
  }
  return digits.padStart(CHECKSUM_LENGTH, '0');
}

/** A new token of the given kind. */
export function generateToken(kind: TokenKind, rng: Rng): string {
  const body = `${TOKEN_PREFIXES[kind]}_${randomString(rng, BASE62, RANDOM_LENGTH)}`;
  return `${body}_${tokenChecksum(body)}`;
}

/** The token's kind when its shape and checksum are right; null otherwise. Touches no storage. */
export function checkToken(token: string): TokenKind | null {
  const match = SHAPE.exec(token);
  if (match === null) return null;
  // The body is everything before the last `_`: no string is built for it.
  if (tokenChecksum(token.slice(0, -CHECKSUM_LENGTH - 1)) !== match[3]) return null;
  return KIND_OF_PREFIX.get(match[1]!) ?? null;
}

/** Prefix → kind, for `checkToken` (which runs on every introspection). */
const KIND_OF_PREFIX: ReadonlyMap<string, TokenKind> = new Map(
  (Object.entries(TOKEN_PREFIXES) as [TokenKind, TokenPrefix][]).map(([kind, prefix]) => [
    prefix,
    kind,
  ]),
);

/** What storage keeps instead of the token: hex SHA-256. */
export function tokenHash(token: string): string {
  // One-shot `hash`: no Hash object per call (this runs on every introspection and grant).
  return hash('sha256', token, 'hex');
}
