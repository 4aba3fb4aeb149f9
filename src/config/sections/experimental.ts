// `experimental` section: options MAS marks as experimental (token lifetimes, inactive session
// expiry, session limits). Durations are in seconds.

import { z } from 'zod';

const ttl = (description: string) =>
  z
    .number()
    .int()
    .min(60)
    .max(86400)
    .default(300)
    .describe(`${description} Seconds, 60 to 86400. Default: 300.`);

export const sessionLimitSchema = z
  .strictObject({
    soft_limit: z
      .number()
      .int()
      .min(1)
      .describe(
        'Sessions a user may have before interactive sign-ins ask them to end some. Shown to users.',
      ),
    hard_limit: z
      .number()
      .int()
      .min(1)
      .describe(
        'Sessions a user may have; beyond it every sign-in is refused (or evicts, see below). At least `soft_limit`.',
      ),
    max_session_threshold: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Apply the limits only to accounts with at most this many sessions (spares legacy bots).',
      ),
    dangerous_hard_limit_eviction: z
      .boolean()
      .default(false)
      .describe(
        'At the hard limit, end the least recently used sessions instead of refusing the sign-in. Loses ' +
          'end-to-end encrypted history on those devices; needs `hard_limit` of at least 2.',
      ),
  })
  .superRefine((value, ctx) => {
    if (value.hard_limit < value.soft_limit) {
      ctx.addIssue({
        code: 'custom',
        path: ['hard_limit'],
        message: 'must be at least `soft_limit`',
      });
    }
    if (value.dangerous_hard_limit_eviction && value.hard_limit < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['hard_limit'],
        message: 'must be at least 2 with `dangerous_hard_limit_eviction`',
      });
    }
  })
  .describe('Limit on the number of application sessions per user.');

export const experimentalSchema = z
  .strictObject({
    access_token_ttl: ttl('Lifetime of OAuth 2.0 access tokens.'),
    compat_token_ttl: ttl(
      'Lifetime of compatibility (legacy Matrix login) access tokens that can be refreshed.',
    ),
    inactive_session_expiration: z
      .strictObject({
        ttl: z
          .number()
          .int()
          .min(600)
          .max(7776000)
          .describe('Inactivity after which a session ends. Seconds, 600 to 7776000 (90 days).'),
        expire_compat_sessions: z
          .boolean()
          .default(true)
          .describe('Whether compatibility sessions expire.'),
        expire_oauth_sessions: z
          .boolean()
          .default(true)
          .describe('Whether OAuth 2.0 sessions expire.'),
        expire_user_sessions: z
          .boolean()
          .default(true)
          .describe('Whether browser sessions expire.'),
      })
      .optional()
      .describe('End sessions after a period of inactivity. Off when unset.'),
    plan_management_iframe_uri: z
      .string()
      .optional()
      .describe(
        'URL of a plan management page shown in an iframe tab of the account page; passed on unchecked.',
      ),
    session_limit: sessionLimitSchema
      .optional()
      .describe('Limit sessions per user. Off when unset.'),
  })
  .describe('Experimental options; change them only if you know why.');

export type SessionLimitConfig = z.infer<typeof sessionLimitSchema>;
export type ExperimentalConfig = z.infer<typeof experimentalSchema>;
