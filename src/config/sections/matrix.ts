// `matrix` section: the homeserver Gatehouse serves. Mandatory in MAS; optional in Gatehouse, which
// without it runs as a standalone OpenID Connect provider.

import { z } from 'zod';
import { notBoth, oneOf, url } from '../schema-kit.ts';

export const matrixSchema = z
  .strictObject({
    kind: z
      .enum(['synapse', 'synapse_read_only', 'synapse_legacy', 'synapse_modern'])
      .default('synapse')
      .describe(
        'Homeserver flavour: `synapse` (Synapse 1.135 or newer), `synapse_modern` (the same, explicitly), ' +
          '`synapse_legacy` (older Synapse admin API) or `synapse_read_only` (never writes to the homeserver; ' +
          'for trial roll-outs).',
      ),
    homeserver: z
      .string()
      .min(1)
      .default('localhost:8008')
      .describe(
        'Server name of the homeserver (Synapse `server_name`); user IDs are `@localpart:<homeserver>`.',
      ),
    secret: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Shared secret for calls between Gatehouse and the homeserver (Synapse `matrix_authentication_service.secret`). ' +
          'Use a long random value: it grants admin rights on the homeserver.',
      ),
    secret_file: z
      .string()
      .optional()
      .describe('File holding `secret` (surrounding whitespace is trimmed).'),
    endpoint: url('Base URL at which Gatehouse reaches the homeserver client API.').default(
      'http://localhost:8008/',
    ),
  })
  .superRefine((value, ctx) => {
    oneOf(value, ctx, 'secret', 'secret_file');
    notBoth(value, ctx, 'secret', 'secret_file');
  })
  .describe(
    'Connection to the Matrix homeserver. Leave out to run Gatehouse as a standalone OpenID provider.',
  );

export type MatrixConfig = z.infer<typeof matrixSchema>;
