// Sign in with an upstream OAuth 2.0 / OpenID Connect provider (MAS: handlers/upstream_oauth2/):
// /upstream/authorize/{id} → the provider → /upstream/callback/{id} → /upstream/link/{link_id},
// the provider's back-channel logout, and the account page listing the links. One
// `UpstreamClients` (discovery and key caches) serves every request of this resource.
//
// To add an upstream route: write it in this folder as `register<Route>(app, deps)` taking
// UpstreamDeps (upstream-flow.ts) and call it below.

import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.ts';
import { BackchannelLogoutVerifier } from '../../../upstream/backchannel-logout-token.ts';
import { UpstreamClients } from '../../../upstream/upstream-client.ts';
import { registerAccountUpstream } from '../human/account-upstream.ts';
import type { HumanDeps } from '../human/page.ts';
import { registerUpstreamAuthorize } from './authorize.ts';
import { registerUpstreamBackchannelLogout } from './backchannel-logout.ts';
import { registerUpstreamCallback } from './callback.ts';
import { registerUpstreamLink } from './link.ts';
import type { UpstreamDeps } from './upstream-flow.ts';

export function registerUpstream(
  app: FastifyInstance,
  deps: HumanDeps & Pick<AppContext, 'keystore' | 'introspectionCache'>,
): void {
  const upstreamClients = new UpstreamClients(deps);
  const upstreamDeps: UpstreamDeps = {
    ...deps,
    upstreamClients,
    logoutVerifier: new BackchannelLogoutVerifier(upstreamClients, deps.clock),
  };
  registerUpstreamAuthorize(app, upstreamDeps);
  registerUpstreamCallback(app, upstreamDeps);
  registerUpstreamLink(app, upstreamDeps);
  registerUpstreamBackchannelLogout(app, upstreamDeps);
  registerAccountUpstream(app, deps);
}
