// `GET /oauth2/keys.json`: the public keys of the keystore (JWKS), for verifying id_tokens and
// signed userinfo responses. Cacheable for a few minutes: keys only change with a restart.

import type { FastifyInstance } from 'fastify';
import type { Keystore } from '../../../crypto/keystore.ts';

export const JWKS_PATH = '/oauth2/keys.json';

export function registerKeys(
  app: FastifyInstance,
  deps: { readonly keystore: Pick<Keystore, 'publicJwks'> },
): void {
  const jwks = deps.keystore.publicJwks();
  app.get(JWKS_PATH, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=300').type('application/json').send(jwks),
  );
}
