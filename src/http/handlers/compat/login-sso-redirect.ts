// GET /_matrix/client/{v3,r0}/login/sso/redirect[/{idp}]?redirectUrl=…: the start of the legacy
// SSO flow (MAS: compat/login_sso_redirect.rs). Stores an SSO login for `redirectUrl` and sends the
// browser to /complete-compat-sso/{id} (./login-sso-complete.ts), which needs a signed-in browser.
// The `{idp}` segment is accepted and ignored, as in MAS: the login page offers every provider.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CompatDeps } from './compat-request.ts';
import { CLIENT_PREFIXES } from './login.ts';
import { invalidParam, missingParam, sendMatrixError } from './matrix-error.ts';

/** The URL a client may be sent back to: absolute, without userinfo; http(s) with a host. */
export function checkRedirectUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidParam('redirectUrl is not an absolute URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw invalidParam('redirectUrl must not contain credentials');
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname === '') {
    throw invalidParam('redirectUrl has no host');
  }
  // Schemes that would run code in our origin's page are never a client's callback.
  if (['javascript:', 'data:', 'vbscript:', 'file:'].includes(url.protocol)) {
    throw invalidParam('redirectUrl has a scheme that cannot be a client callback');
  }
  return url;
}

export function registerLoginSsoRedirect(app: FastifyInstance, deps: CompatDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const query = request.query as Record<string, unknown>;
      const raw = query.redirectUrl;
      if (typeof raw !== 'string' || raw === '') throw missingParam('redirectUrl');
      const redirectUrl = checkRedirectUrl(raw);
      const login = await deps.storage.transaction((repos) =>
        repos.compatSsoLogins.add(deps.rng, deps.clock, redirectUrl.toString()),
      );
      return (
        reply
          .header('cache-control', 'no-store')
          // Absolute: clients reach this endpoint through the homeserver's address, and the page
          // lives on Gatehouse's own public base.
          .redirect(deps.urls.absolute(`complete-compat-sso/${login.id}`), 303)
      );
    } catch (error) {
      return sendMatrixError(reply, error, request.log);
    }
  };
  for (const prefix of CLIENT_PREFIXES) {
    app.get(`${prefix}/login/sso/redirect`, handler);
    app.get(`${prefix}/login/sso/redirect/`, handler);
    app.get(`${prefix}/login/sso/redirect/:idp`, handler);
  }
}
