// `GET /.well-known/openid-configuration` and `GET /.well-known/oauth-authorization-server`: the
// provider metadata (src/oauth2/discovery.ts), the same document at both paths, as MAS serves it.

import type { FastifyInstance } from 'fastify';
import type { RootConfig } from '../../../config/root.ts';
import type { Keystore } from '../../../crypto/keystore.ts';
import { discoveryDocument } from '../../../oauth2/discovery.ts';
import type { UrlBuilder } from '../../url-builder.ts';

export interface OpenIdConfigurationDeps {
  readonly config: Pick<RootConfig, 'oauth' | 'account'>;
  readonly keystore: Pick<Keystore, 'algorithms'>;
  readonly urls: Pick<UrlBuilder, 'issuer' | 'absolute'>;
}

export const DISCOVERY_PATHS = [
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
] as const;

export function registerOpenIdConfiguration(
  app: FastifyInstance,
  deps: OpenIdConfigurationDeps,
): void {
  // Nothing in it changes while the process runs.
  const document = discoveryDocument({
    issuer: deps.urls.issuer,
    absolute: (path) => deps.urls.absolute(path),
    oauth: deps.config.oauth,
    account: deps.config.account,
    signingAlgorithms: deps.keystore.algorithms(),
  });
  for (const path of DISCOVERY_PATHS) {
    app.get(path, async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=300').type('application/json').send(document),
    );
  }
}
