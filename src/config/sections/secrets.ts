// `secrets` section: the key that encrypts cookies and database columns, and the private keys that
// sign tokens. Same keys as MAS. The schema only checks shapes; src/crypto/keystore.ts and
// src/crypto/encrypter.ts read the files and parse the keys when the server starts.

import { z } from 'zod';

const keySchema = z
  .strictObject({
    kid: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Key ID (`kid`) published in the JWKS. Defaults to the key\u2019s RFC 7638 JWK thumbprint (SHA-256).',
      ),
    key: z
      .string()
      .optional()
      .describe('The private key, PEM encoded (PKCS#1, PKCS#8, encrypted PKCS#8 or SEC1).'),
    key_file: z
      .string()
      .optional()
      .describe('File holding the private key, PEM or DER encoded. Mutually exclusive with `key`.'),
    password: z.string().optional().describe('Password that decrypts an encrypted PKCS#8 key.'),
    password_file: z
      .string()
      .optional()
      .describe(
        'File holding the password of an encrypted key. Mutually exclusive with `password`.',
      ),
  })
  .superRefine((value, ctx) => {
    if (value.key === undefined && value.key_file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'set `key` or `key_file`' });
    }
    if (value.key !== undefined && value.key_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['key_file'],
        message: 'set `key` or `key_file`, not both',
      });
    }
    if (value.password !== undefined && value.password_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['password_file'],
        message: 'set `password` or `password_file`, not both',
      });
    }
  })
  .describe('A private signing key: inline or in a file, optionally encrypted with a password.');

export const secretsSchema = z
  .strictObject({
    encryption: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hexadecimal characters (32 bytes)')
      .optional()
      .describe(
        'Key (32 bytes, 64 hex characters) that encrypts cookies and secrets stored in the database. ' +
          'Changing it invalidates sessions and stored secrets.',
      ),
    encryption_file: z
      .string()
      .optional()
      .describe(
        'File holding the `encryption` key as 64 hex characters. Mutually exclusive with `encryption`.',
      ),
    keys: z
      .array(keySchema)
      .optional()
      .describe(
        'Private keys that sign ID tokens and other JWTs. At least one RSA key is required (RS256).',
      ),
    keys_dir: z
      .string()
      .optional()
      .describe(
        'Directory of private keys, one unencrypted key per file, each with its JWK thumbprint as `kid`. ' +
          'Used together with `keys`.',
      ),
  })
  .superRefine((value, ctx) => {
    if (value.encryption === undefined && value.encryption_file === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['encryption'],
        message: 'set `encryption` or `encryption_file`',
      });
    }
    if (value.encryption !== undefined && value.encryption_file !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['encryption_file'],
        message: 'set `encryption` or `encryption_file`, not both',
      });
    }
  })
  .describe('Encryption key and signing keys.');

export type SecretsConfig = z.infer<typeof secretsSchema>;
export type SecretsKeyConfig = NonNullable<SecretsConfig['keys']>[number];
