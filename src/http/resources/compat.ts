// `compat` resource: the Matrix client-server login API for legacy clients (MAS's compat layer):
// `/_matrix/client/{v3,r0}/login` (flows and login), `…/login/sso/redirect[/{idp}]`, `…/logout`,
// `…/logout/all` and `…/refresh`. A reverse proxy routes these paths here and everything else to
// the homeserver. The SSO flow's human page (/complete-compat-sso/{id}) is served by `human`.
//
// Without a `matrix` section Gatehouse is a standalone OpenID provider: nothing is mounted.
// Browsers of any origin may call these endpoints (Matrix web clients; CORS `*`, as MAS). Bodies
// reach the handlers as raw strings, so a malformed one gets `M_NOT_JSON` rather than the
// framework's error.
//
// To add an endpoint: write src/http/handlers/compat/<name>.ts exporting `register…(app, deps)`
// and add one line below.

import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app-context.ts';
import type { CompatDeps } from '../handlers/compat/compat-request.ts';
import { registerLogin } from '../handlers/compat/login.ts';
import { registerLoginSsoRedirect } from '../handlers/compat/login-sso-redirect.ts';
import { registerLogout } from '../handlers/compat/logout.ts';
import { registerRefresh } from '../handlers/compat/refresh.ts';
import { allowAnyOrigin } from './discovery.ts';

function keepRawBodies(scope: FastifyInstance): void {
  scope.removeContentTypeParser(['application/json', 'text/plain']);
  scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    done(null, body);
  });
}

/** The compat endpoints' dependencies from the AppContext (the homeserver when it has one). */
export function compatDeps(app: AppContext, serverName: string): CompatDeps {
  return {
    config: app.config,
    storage: app.storage,
    clock: app.clock,
    rng: app.rng,
    passwords: app.passwords,
    urls: app.urls,
    logger: app.logger,
    serverName,
    rateLimiter: app.rateLimiter,
    homeserver: app.homeserver ?? null,
    introspectionCache: app.introspectionCache,
  };
}

export function compatResource(app: AppContext): FastifyPluginAsync {
  return async (scope) => {
    const matrix = app.config.matrix;
    if (matrix === undefined) {
      app.logger.warn('resource compat needs a matrix section in the configuration: not mounted');
      return;
    }
    keepRawBodies(scope);
    allowAnyOrigin(scope, ['/_matrix/client/*']);
    const deps = compatDeps(app, matrix.homeserver);
    registerLogin(scope, deps);
    registerLoginSsoRedirect(scope, deps);
    registerLogout(scope, deps);
    registerRefresh(scope, deps);
  };
}
