import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRng } from '../../src/rng.ts';
import {
  checkToken,
  generateToken,
  TOKEN_PREFIXES,
  tokenChecksum,
  tokenHash,
  type TokenKind,
} from '../../src/crypto/tokens.ts';

// Vectors from MAS's own tests (crates/data-model/src/tokens.rs).
const MAS_VECTORS = [
  'mct_cxG6gZXyvelQWW9XqfNbm5KAQovodf_XvJz43',
  'mct_PGMLvvMXC4Ds1A3lCWc6Hx4l9DGzqG_lVEIV2',
  'mct_Xl3bbpfh9yNy9NzuRxyR3b3PLW0rqd_DiXAH2',
  'mct_16tugBE5Ta9LIWoSJaAEHHq2g3fx8S_alcBB4',
];

test('tokens made by MAS validate', () => {
  for (const token of MAS_VECTORS) assert.equal(checkToken(token), 'compatAccessToken', token);
});

test('changing any one character of a MAS token fails the check', () => {
  for (const token of MAS_VECTORS) {
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '_') continue;
      const replacement = token[i] === 'a' ? 'b' : 'a';
      const altered = token.slice(0, i) + replacement + token.slice(i + 1);
      assert.equal(checkToken(altered), null, `${altered} (position ${i})`);
    }
  }
});

test('the checksum is base62, least-significant digit first, zero-padded to 6', () => {
  // CRC-32 of "a" is 0xE8B7BE43 = 3904355907; in base62 most-significant first that is "4GEHKN".
  assert.equal(tokenChecksum('a'), 'NKHEG4');
  // A CRC small enough to need padding: the digits come first, the padding zeros on the left.
  assert.equal(tokenChecksum('').length, 6);
  assert.equal(tokenChecksum(''), '000000', 'CRC-32 of the empty string is 0');
});

test('generated tokens have the right prefix and shape, and validate', () => {
  const rng = new SeededRng('tokens');
  for (const kind of Object.keys(TOKEN_PREFIXES) as TokenKind[]) {
    const token = generateToken(kind, rng);
    assert.match(token, new RegExp(`^${TOKEN_PREFIXES[kind]}_[0-9A-Za-z]{30}_[0-9A-Za-z]{6}$`));
    assert.equal(checkToken(token), kind);
  }
  assert.notEqual(generateToken('accessToken', rng), generateToken('accessToken', rng));
});

test('other shapes are rejected without a lookup', () => {
  for (const bad of [
    '',
    'mat_',
    'xyz_cxG6gZXyvelQWW9XqfNbm5KAQovodf_XvJz43',
    `${MAS_VECTORS[0]} `,
    'syt_abc',
    MAS_VECTORS[0]!.replace('mct', 'mat'),
  ]) {
    assert.equal(checkToken(bad), null, JSON.stringify(bad));
  }
});

test('tokens are stored as their SHA-256', () => {
  assert.equal(
    tokenHash('abc'),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
});
