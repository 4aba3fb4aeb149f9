// `adminapi` resource: the MAS-compatible Admin API under /api/admin/v1 (bearer tokens with
// `urn:mas:admin`), its OpenAPI document at /api/spec.json and Swagger UI on it at /api/doc/.
//
// To add an endpoint: declare it with `adminRoute` in src/http/handlers/admin/<subject>.ts (its
// schemas put it in the OpenAPI document) and add its `register…` call below, before the docs.

import type { FastifyPluginAsync } from 'fastify';
import packageJson from '../../../package.json' with { type: 'json' };
import type { AppContext } from '../app-context.ts';
import type { AdminDeps, RouteList } from '../handlers/admin/admin-route.ts';
import { registerApiDocs } from '../handlers/admin/api-docs.ts';
import { registerSiteInfo } from '../handlers/admin/site-info.ts';
import { registerUsers } from '../handlers/admin/users.ts';
import { registerCreateUser } from '../handlers/admin/users-create.ts';
import { registerUserEmails } from '../handlers/admin/user-emails.ts';
import { registerOAuth2Sessions } from '../handlers/admin/oauth2-sessions.ts';
import { registerUserSessions } from '../handlers/admin/user-sessions.ts';
import { registerCompatSessions } from '../handlers/admin/compat-sessions.ts';
import { registerUserRegistrationTokens } from '../handlers/admin/user-registration-tokens.ts';
import { registerPersonalSessions } from '../handlers/admin/personal-sessions.ts';
import { registerOAuth2Clients } from '../handlers/admin/oauth2-clients.ts';
import { registerPolicyData } from '../handlers/admin/policy-data.ts';
import { registerUserEmailWrites } from '../handlers/admin/user-emails-write.ts';
import { registerUpstreamOAuthLinks } from '../handlers/admin/upstream-oauth-links.ts';
import { registerUpstreamOAuthProviders } from '../handlers/admin/upstream-oauth-providers.ts';

export function adminapiResource(app: AppContext): FastifyPluginAsync {
  return async (scope) => {
    const deps: AdminDeps = {
      config: app.config,
      storage: app.storage,
      clock: app.clock,
      rng: app.rng,
      passwords: app.passwords,
      logger: app.logger,
      version: packageJson.version,
    };
    const routes: RouteList = [];
    // Finishing a session, or locking a user, drops their cached introspections.
    const sessionDeps = { ...deps, introspectionCache: app.introspectionCache };
    registerUsers(scope, sessionDeps, routes);
    registerCreateUser(scope, deps, routes);
    registerUserEmails(scope, deps, routes);
    registerUserEmailWrites(scope, deps, routes);
    registerOAuth2Sessions(scope, sessionDeps, routes);
    registerUserSessions(scope, sessionDeps, routes);
    registerCompatSessions(scope, sessionDeps, routes);
    registerUserRegistrationTokens(scope, deps, routes);
    registerPersonalSessions(
      scope,
      { ...deps, introspectionCache: app.introspectionCache },
      routes,
    );
    registerOAuth2Clients(scope, deps, routes);
    registerPolicyData(scope, { ...deps, policyData: app.policyData ?? null }, routes);
    registerUpstreamOAuthLinks(scope, deps, routes);
    registerUpstreamOAuthProviders(scope, deps, routes);
    registerSiteInfo(scope, deps, routes);
    registerApiDocs(scope, { ...deps, serverUrl: app.urls.absolute('/') }, routes);
  };
}
