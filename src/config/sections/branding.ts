// `branding` section: names and legal links shown in pages and emails.

import { z } from 'zod';
import { url } from '../schema-kit.ts';

export const brandingSchema = z
  .strictObject({
    service_name: z
      .string()
      .optional()
      .describe(
        'Human-readable name of the service, shown in pages and emails. Default: the server address.',
      ),
    policy_uri: url(
      'Link to the privacy policy, shown in page and email footers (and meant to be advertised as `op_policy_uri`).',
    ).optional(),
    tos_uri: url(
      'Link to the terms of service, shown in footers; when set, registration requires accepting them ' +
        '(meant to be advertised as `op_tos_uri`).',
    ).optional(),
    imprint: z.string().optional().describe('Legal imprint text, shown in page and email footers.'),
  })
  .describe('Branding of the web pages and emails.');

export type BrandingConfig = z.infer<typeof brandingSchema>;
