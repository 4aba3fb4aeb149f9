// `captcha` section: CAPTCHA protection of password registration.

import { z } from 'zod';
import { url } from '../schema-kit.ts';

export const captchaSchema = z
  .strictObject({
    service: z
      .enum(['recaptcha_v2', 'cloudflare_turnstile', 'hcaptcha'])
      .nullable()
      .optional()
      .describe(
        'CAPTCHA service: `recaptcha_v2` (Google reCAPTCHA v2), `cloudflare_turnstile` or `hcaptcha`. Unset or `~`: none.',
      ),
    site_key: z.string().optional().describe('Public site key given by the CAPTCHA service.'),
    secret_key: z.string().optional().describe('Secret key given by the CAPTCHA service.'),
    verify_url: url(
      'Gatehouse only: where answers are verified instead of the service’s own siteverify URL ' +
        '(a self-hosted compatible verifier, or a fake one in tests). Default: the service’s URL.',
    ).optional(),
  })
  .superRefine((value, ctx) => {
    // MAS checks this only for reCAPTCHA; no service works without both keys, so check it for all.
    if (value.service === null || value.service === undefined) return;
    for (const key of ['site_key', 'secret_key'] as const) {
      if (value[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `required when \`service\` is \`${value.service}\``,
        });
      }
    }
  })
  .describe('CAPTCHA protection of self-service password registration.');

export type CaptchaConfig = z.infer<typeof captchaSchema>;
