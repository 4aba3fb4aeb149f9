// `oauth` section: switches for optional OAuth 2.0 protocol features.

import { z } from 'zod';

export const oauthSchema = z
  .strictObject({
    device_code_grant_enabled: z
      .boolean()
      .default(true)
      .describe(
        'Whether the device authorization grant (RFC 8628) is offered. When off, the device authorization ' +
          'endpoint refuses requests, discovery does not advertise it and client registrations asking for the ' +
          'device-code grant are refused.',
      ),
    device_code_user_code_auto_fill_enabled: z
      .boolean()
      .default(false)
      .describe(
        'Whether the `/link?code=…` link (`verification_uri_complete`) fills in the user code on the `/link` ' +
          'page. When off, users type the code.',
      ),
    introspection_cache_ttl: z
      .number()
      .min(0)
      .max(300)
      .default(5)
      .describe(
        'Gatehouse only: seconds an active token introspection answer is kept in memory and given again ' +
          'without a database read (each entry lives between half of this and all of it). Every revocation, ' +
          'logout, lock and session end removes the entries it concerns at once, on every node; this is ' +
          'only the bound for what nothing announced. 0 turns the cache off.',
      ),
  })
  .describe('OAuth 2.0 protocol options.');

export type OauthConfig = z.infer<typeof oauthSchema>;
