// `discovery` resource: the provider metadata at `/.well-known/openid-configuration` and
// `/.well-known/oauth-authorization-server`, and `/.well-known/webfinger`. Browsers of any origin
// may read them (CORS `*`), as Element Web and other browser clients must.
//
// To add an endpoint: write src/http/handlers/discovery/<name>.ts exporting `register…` and call it
// below with only what it needs.

import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app-context.ts';
import { registerOpenIdConfiguration } from '../handlers/discovery/openid-configuration.ts';
import { registerWebfinger } from '../handlers/discovery/webfinger.ts';

const ALLOWED_HEADERS = 'authorization, accept, accept-language, content-language, content-type';

/**
 * Lets any origin call the routes of `scope` (which must be an encapsulated plugin): an
 * `Access-Control-Allow-Origin: *` on every response, and preflight answers under `preflightPaths`
 * (wildcards such as `/oauth2/*`).
 */
export function allowAnyOrigin(scope: FastifyInstance, preflightPaths: readonly string[]): void {
  // A callback hook, not an async one: it runs on every OAuth response (no promise per request).
  scope.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('access-control-allow-origin', '*');
    done(null, payload);
  });
  for (const path of preflightPaths) {
    scope.options(path, async (_request, reply) =>
      reply
        .code(204)
        .header('access-control-allow-methods', 'GET, POST, OPTIONS')
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '3600')
        .send(),
    );
  }
}

export function discoveryResource(app: AppContext): FastifyPluginAsync {
  return async (scope) => {
    allowAnyOrigin(scope, ['/.well-known/*']);
    registerOpenIdConfiguration(scope, {
      config: app.config,
      keystore: app.keystore,
      urls: app.urls,
    });
    registerWebfinger(scope, { issuer: app.urls.issuer });
  };
}
