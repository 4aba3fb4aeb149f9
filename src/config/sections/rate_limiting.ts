// `rate_limiting` section: GCRA limiters ("leaky bucket": a burst, then a steady refill), with
// MAS's keys and defaults. Each limiter is `{burst, per_second}`.

import { z } from 'zod';

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

export const rateLimitingSchema = z
  .strictObject({
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
