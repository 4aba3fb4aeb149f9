// `rate_limiting` section: GCRA limiters ("leaky bucket": a burst, then a steady refill), with
// MAS's keys and defaults. Each limiter is `{burst, per_second}`. Gatehouse adds `store`: where
// the counters live (MAS keeps them in each process's memory only).

import { z } from 'zod';
import { notBoth, oneOf } from '../schema-kit.ts';

export const rateLimiterSchema = z
  .strictObject({
    burst: z
      .number()
      .int()
      .min(1)
      .max(4294967295)
      .describe('Actions allowed at once before waiting.'),
    per_second: z
      .number()
      .positive()
      .max(1e9)
      .describe(
        'How fast the allowance refills, in actions per second; fractional for slower rates (0.05 = 3 per minute).',
      ),
  })
  .describe('A rate limiter.');

type Limiter = z.infer<typeof rateLimiterSchema>;

const limiter = (burst: number, perSecond: number, description: string) =>
  rateLimiterSchema
    .default((): Limiter => ({ burst, per_second: perSecond }))
    .describe(description);

const REDIS_URL = /^rediss?:\/\/[^\s]*$/;

export const DEFAULT_REDIS_KEY_PREFIX = 'gatehouse:rate-limit:';

export const rateLimitStoreSchema = z
  .discriminatedUnion('kind', [
    z
      .strictObject({
        kind: z
          .literal('database')
          .describe(
            'Counters in the database: PostgreSQL shares them between every node; with SQLite (one node) they stay in memory.',
          ),
      })
      .describe('Counters in the database (the default).'),
    z
      .strictObject({
        kind: z.literal('memory').describe('Counters in each process’s memory (not shared).'),
      })
      .describe('Counters in each process’s memory, as MAS does; each node counts on its own.'),
    z
      .strictObject({
        kind: z.literal('redis').describe('Counters in Redis (or Valkey), shared by every node.'),
        url: z
          .string()
          .regex(REDIS_URL, 'expected a redis:// or rediss:// URL')
          .optional()
          .describe(
            'Where Redis listens: `redis://[:password@]host[:port][/db]`, or `rediss://` for TLS.',
          ),
        url_file: z
          .string()
          .optional()
          .describe('File holding `url` (for a URL with a password in it).'),
        key_prefix: z
          .string()
          .min(1)
          .default(DEFAULT_REDIS_KEY_PREFIX)
          .describe(
            'Prefix of every key Gatehouse writes, so several deployments can share one Redis.',
          ),
      })
      .superRefine((value, ctx) => {
        oneOf(value, ctx, 'url', 'url_file');
        notBoth(value, ctx, 'url', 'url_file');
      })
      .describe(
        'Counters in Redis, shared by every node. While Redis is unreachable each node counts in its own memory (limits hold per node, a warning is logged) until Redis is back.',
      ),
  ])
  .describe(
    'Where the limiters keep their counters (Gatehouse only): `{kind: database}` (default), `{kind: memory}` or `{kind: redis, url: redis://127.0.0.1:6379/0}`.',
  );

export const rateLimitingSchema = z
  .strictObject({
    store: rateLimitStoreSchema.optional(),
    login: z
      .strictObject({
        per_ip: limiter(
          3,
          3 / 60,
          'Sign-in attempts per client IP address (3 per minute by default).',
        ),
        per_account: limiter(
          1800,
          1800 / 3600,
          'Sign-in attempts per account, against distributed guessing (1800 per hour by default).',
        ),
      })
      .prefault({})
      .describe('Limits on password sign-in (web and compatibility login).'),
    registration: limiter(
      3,
      3 / 3600,
      'Registration attempts per client IP address (3 per hour by default).',
    ),
    account_recovery: z
      .strictObject({
        per_ip: limiter(
          3,
          3 / 3600,
          'Recovery requests (and re-sends) per client IP address (3 per hour by default).',
        ),
        per_address: limiter(
          3,
          1 / 3600,
          'Recovery requests (and re-sends) per email address (1 per hour after a burst of 3).',
        ),
      })
      .prefault({})
      .describe('Limits on password recovery emails.'),
    email_authentication: z
      .strictObject({
        per_ip: limiter(
          5,
          1 / 60,
          'Email verification starts per client IP address (1 per minute after a burst of 5).',
        ),
        per_address: limiter(
          3,
          1 / 3600,
          'Email verification starts (and re-sends) per email address (1 per hour after a burst of 3).',
        ),
        emails_per_session: limiter(
          2,
          1 / 300,
          'Codes emailed per verification session (1 per 5 minutes after a burst of 2).',
        ),
        attempt_per_session: limiter(
          10,
          1 / 60,
          'Code entry attempts per verification session, against guessing (1 per minute after a burst of 10).',
        ),
      })
      .prefault({})
      .describe('Limits on email verification codes.'),
  })
  .describe('Rate limits on sensitive actions.');

export type RateLimiterConfig = z.infer<typeof rateLimiterSchema>;
export type RateLimitingConfig = z.infer<typeof rateLimitingSchema>;
export type RateLimitStoreConfig = z.infer<typeof rateLimitStoreSchema>;
