// `oauth` resource: the OAuth 2.0 / OpenID Connect API endpoints under `/oauth2/` (keys, client
// registration, token, introspection, revocation, userinfo, device authorization). Browsers of any
// origin may call them (CORS `*`, as MAS). Bodies reach the handlers unparsed: form bodies as raw
// strings so duplicate parameters can be refused (src/oauth2/form-params.ts), JSON as a string so a
// malformed one gets an OAuth error rather than the framework's.
//
// To add an endpoint: write src/http/handlers/oauth2/<name>.ts exporting `register…(app, deps)`
// and add one line below, passing only what it needs.

import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../app-context.ts';
import { readInlineOrFile } from '../../config/secret-file.ts';
import { ClientJwksCache } from '../../oauth2/client-jwks.ts';
import { ActivityTracker } from '../../services/activity-tracker.ts';
import { registerDeviceAuthorization } from '../handlers/oauth2/device-authorization.ts';
import { registerIntrospect } from '../handlers/oauth2/introspect.ts';
import { registerKeys } from '../handlers/oauth2/keys.ts';
import { registerRegistration } from '../handlers/oauth2/registration.ts';
import { registerRevoke } from '../handlers/oauth2/revoke.ts';
import { registerToken } from '../handlers/oauth2/token.ts';
import { registerUserinfo } from '../handlers/oauth2/userinfo.ts';
import { allowAnyOrigin } from './discovery.ts';

/** Every request body in this resource arrives as a string (or undefined when empty). */
function keepRawBodies(scope: FastifyInstance): void {
  scope.removeContentTypeParser(['application/json', 'text/plain']);
  scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    done(null, body);
  });
}

export function oauthResource(app: AppContext): FastifyPluginAsync {
  return async (scope) => {
    keepRawBodies(scope);
    allowAnyOrigin(scope, ['/oauth2/*']);
    registerKeys(scope, { keystore: app.keystore });
    registerRegistration(scope, {
      config: app.config,
      storage: app.storage,
      clock: app.clock,
      rng: app.rng,
      encrypter: app.encrypter,
      keystore: app.keystore,
    });

    // Shared by the endpoints below: client key sets fetched for private_key_jwt, and session
    // activity written in batches (flushed when the listener closes).
    const jwks = new ClientJwksCache({ clock: app.clock });
    const activity = new ActivityTracker({
      storage: app.storage,
      clock: app.clock,
      logger: app.logger,
    });
    activity.start();
    scope.addHook('onClose', () => activity.stop());
    const clientDeps = {
      clock: app.clock,
      encrypter: app.encrypter,
      jwks,
      urls: app.urls,
    };
    registerToken(scope, {
      ...clientDeps,
      config: app.config,
      storage: app.storage,
      rng: app.rng,
      keystore: app.keystore,
      activity,
      introspectionCache: app.introspectionCache,
      homeserver: app.homeserver ?? null,
    });
    registerIntrospect(scope, {
      ...clientDeps,
      storage: app.storage,
      activity,
      introspectionCache: app.introspectionCache,
      homeserverSecret:
        app.config.matrix === undefined
          ? null
          : (readInlineOrFile(app.config.matrix.secret, app.config.matrix.secret_file) ?? null),
    });
    registerRevoke(scope, {
      ...clientDeps,
      storage: app.storage,
      introspectionCache: app.introspectionCache,
      rng: app.rng,
      matrix: app.config.matrix !== undefined,
    });
    registerDeviceAuthorization(scope, {
      ...clientDeps,
      config: app.config,
      storage: app.storage,
      rng: app.rng,
    });
    registerUserinfo(scope, {
      storage: app.storage,
      clock: app.clock,
      keystore: app.keystore,
      issuer: app.urls.issuer,
      activity,
    });
  };
}
