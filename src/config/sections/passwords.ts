// `passwords` section: the local password database and its versioned hashing schemes. The scheme
// with the highest version hashes new passwords; the others only verify (and trigger a re-hash).

import { z } from 'zod';
import { notBoth } from '../schema-kit.ts';

export const passwordSchemeSchema = z
  .strictObject({
    version: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .describe(
        'Version of the scheme, stored with each hash. Unique; the highest hashes new passwords.',
      ),
    algorithm: z
      .enum(['argon2id', 'bcrypt', 'pbkdf2'])
      .describe('Hashing algorithm: `argon2id` (m=19 MiB, t=2, p=1), `bcrypt` or `pbkdf2`.'),
    unicode_normalization: z
      .boolean()
      .default(false)
      .describe(
        'Apply Unicode NFKC normalization before hashing, as Synapse does (set it for imported Synapse hashes).',
      ),
    cost: z
      .number()
      .int()
      .min(4)
      .max(31)
      .optional()
      .describe('bcrypt cost factor (ignored by the other algorithms). Default: 12.'),
    secret: z
      .string()
      .optional()
      .describe(
        'Pepper: for argon2id the Argon2 secret, for bcrypt and pbkdf2 appended to the password (Synapse `password_config.pepper`).',
      ),
    secret_file: z.string().optional().describe('File holding `secret`.'),
  })
  .superRefine((value, ctx) => {
    notBoth(value, ctx, 'secret', 'secret_file');
  })
  .describe('A password hashing scheme.');

export const passwordsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'Whether password sign-in is enabled. When off, users sign in through upstream providers only.',
      ),
    schemes: z
      .array(passwordSchemeSchema)
      .default(() => [{ version: 1, algorithm: 'argon2id' as const, unicode_normalization: false }])
      .describe(
        'Hashing schemes. Change only to import hashes from elsewhere (e.g. bcrypt from Synapse).',
      ),
    minimum_complexity: z
      .number()
      .int()
      .min(0)
      .max(4)
      .default(3)
      .describe(
        'Lowest zxcvbn score (0-4) a new password must reach: 0 < 10^2 guesses, 1 < 10^4, 2 < 10^6, 3 < 10^8, 4 more.',
      ),
  })
  .superRefine((value, ctx) => {
    if (!value.enabled) return;
    if (value.schemes.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['schemes'],
        message: 'at least one scheme is required when passwords are enabled',
      });
    }
    const seen = new Set<number>();
    value.schemes.forEach((scheme, index) => {
      if (seen.has(scheme.version)) {
        ctx.addIssue({
          code: 'custom',
          path: ['schemes', index, 'version'],
          message: `version ${scheme.version} is used twice`,
        });
      }
      seen.add(scheme.version);
    });
  })
  .describe('Local password database.');

export type PasswordSchemeConfig = z.infer<typeof passwordSchemeSchema>;
export type PasswordsConfig = z.infer<typeof passwordsSchema>;
