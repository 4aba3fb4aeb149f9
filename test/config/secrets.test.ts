// The `secrets` section schema: MAS's keys and their either/or rules, every key documented.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { secretsSchema } from '../../src/config/sections/secrets.ts';

const HEX = '0000111122223333444455556666777788889999aaaabbbbccccddddeeeeffff';

function issues(input: unknown): string[] {
  const result = secretsSchema.safeParse(input);
  assert.equal(result.success, false, 'expected the input to be rejected');
  return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('secrets schema', () => {
  it('accepts MAS configurations', () => {
    assert.deepEqual(secretsSchema.parse({ encryption: HEX }), { encryption: HEX });
    const full = {
      encryption_file: 'enc',
      keys_dir: 'keys',
      keys: [
        { kid: 'a', key: '-----BEGIN PRIVATE KEY-----' },
        { key_file: 'k.pem', password_file: 'pw' },
        { key_file: 'k.der', password: 'pw' },
      ],
    };
    assert.deepEqual(secretsSchema.parse(full), full);
  });

  it('requires exactly one of encryption and encryption_file, as 64 hex characters', () => {
    assert.deepEqual(issues({}), ['encryption: set `encryption` or `encryption_file`']);
    assert.deepEqual(issues({ encryption: HEX, encryption_file: 'f' }), [
      'encryption_file: set `encryption` or `encryption_file`, not both',
    ]);
    assert.deepEqual(issues({ encryption: HEX.slice(2) }), [
      'encryption: must be 64 hexadecimal characters (32 bytes)',
    ]);
    assert.deepEqual(issues({ encryption: `${HEX.slice(1)}g` }), [
      'encryption: must be 64 hexadecimal characters (32 bytes)',
    ]);
  });

  it('requires exactly one of key and key_file, and at most one password, per key', () => {
    assert.deepEqual(
      issues({
        encryption: HEX,
        keys: [
          { kid: 'x' },
          { key: 'k', key_file: 'f' },
          { key: 'k', password: 'p', password_file: 'f' },
          { kid: '', key: 'k' },
        ],
      }).sort(),
      [
        'keys.0.key: set `key` or `key_file`',
        'keys.1.key_file: set `key` or `key_file`, not both',
        'keys.2.password_file: set `password` or `password_file`, not both',
        'keys.3.kid: Too small: expected string to have >=1 characters',
      ].sort(),
    );
  });

  it('rejects unknown keys', () => {
    assert.deepEqual(issues({ encryption: HEX, key: 'x' }).length, 1);
    assert.match(
      issues({ encryption: HEX, keys: [{ key: 'k', pasword: 'typo' }] })[0]!,
      /^keys\.0: .*pasword/,
    );
  });

  it('describes every key', () => {
    const keyItem = (secretsSchema.shape.keys.unwrap() as z.ZodArray<z.ZodObject>).element;
    for (const [name, schema] of [
      ...Object.entries(secretsSchema.shape),
      ...Object.entries(keyItem.shape).map(([k, v]) => [`keys[].${k}`, v] as const),
    ]) {
      assert.ok((schema as z.ZodType).description, `${name} has no description`);
    }
    assert.ok(secretsSchema.description);
  });
});
