// GET /upstream/authorize/{id}: starts a sign-in at an upstream provider (MAS:
// upstream_oauth2/authorize.rs). Reads top to bottom: parse (`next`, `action`, `login_hint`) →
// load the provider (it must be enabled) → for `action=link`, the browser must be signed in →
// render `additional_authorization_parameters` → build the authorization URL (discovery happens
// here, outside any transaction) → save the authorization session (state, nonce, PKCE verifier,
// where to go afterwards) → remember it in this browser → 303 to the provider.
//
// The templates of `additional_authorization_parameters` see `params` (the query parameters of
// the downstream authorization request in `next`, e.g. `login_hint`, `ui_locales`) and
// `logged_out` (true when this browser has no signed-in session). A template that fails to
// render drops its parameter (logged), like an empty one.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UpstreamOAuthProvider } from '../../../model/upstream-oauth.ts';
import { claimTemplate } from '../../../upstream/claim-mapping.ts';
import { ClaimTemplateRenderError } from '../../../upstream/claim-template.ts';
import { UpstreamClientError } from '../../../upstream/upstream-client.ts';
import { currentBrowserSession } from '../../browser-session.ts';
import { accountUrl } from '../human/account-access.ts';
import { param, safeNext } from '../human/page.ts';
import {
  callbackUrl,
  loadEnabledProvider,
  upstreamFailurePage,
  type UpstreamDeps,
} from './upstream-flow.ts';
import { rememberUpstreamSession } from './upstream-session-cookie.ts';

/** The query parameters of the downstream request `next` continues (its path's query). */
function downstreamParams(next: string | null): Record<string, string> {
  if (next === null) return {};
  const query = next.indexOf('?');
  if (query < 0) return {};
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(next.slice(query + 1))) params[name] = value;
  return params;
}

function renderExtraParameters(
  request: FastifyRequest,
  provider: UpstreamOAuthProvider,
  context: { params: Record<string, string>; logged_out: boolean },
): Record<string, string> {
  const rendered: Record<string, string> = {};
  for (const [name, source] of Object.entries(provider.additionalAuthorizationParameters)) {
    try {
      const value = claimTemplate(source).render(context).trim();
      if (value !== '') rendered[name] = value;
    } catch (error) {
      if (!(error instanceof ClaimTemplateRenderError)) throw error;
      request.log.warn(
        { provider: provider.id, parameter: name, reason: error.message },
        'additional authorization parameter dropped',
      );
    }
  }
  return rendered;
}

export function registerUpstreamAuthorize(app: FastifyInstance, deps: UpstreamDeps): void {
  app.get('/upstream/authorize/:id', async (request, reply) => {
    // parse
    const linking = param(request.query, 'action') === 'link';
    const next =
      safeNext(param(request.query, 'next')) ?? (linking ? accountUrl(deps, 'upstream') : null);

    // load
    const { provider, signedIn } = await deps.storage.transaction(async (repos) => ({
      provider: await loadEnabledProvider(request, deps, repos),
      signedIn: (await currentBrowserSession(request, { ...deps, repos })) !== null,
    }));

    // check: linking adds to the signed-in account, so it needs one
    if (linking && !signedIn) {
      const back = `${request.url}`;
      return reply
        .header('cache-control', 'no-store')
        .redirect(`${deps.urls.basePath}login?${new URLSearchParams({ next: back })}`, 303);
    }

    // the provider's authorization URL (network: discovery), outside any transaction
    const params = downstreamParams(next);
    const loginHint = param(request.query, 'login_hint') ?? params.login_hint ?? null;
    let start;
    try {
      start = await deps.upstreamClients.startAuthorization(provider, {
        redirectUri: callbackUrl(deps, provider),
        extraParameters: renderExtraParameters(request, provider, {
          params,
          logged_out: !signedIn,
        }),
        loginHint,
      });
    } catch (error) {
      if (!(error instanceof UpstreamClientError)) throw error;
      request.log.warn({ provider: provider.id, err: error }, 'upstream authorization failed');
      throw upstreamFailurePage(deps, error);
    }

    // save
    const session = await deps.storage.transaction((repos) =>
      repos.upstreamOAuthSessions.add(deps.rng, deps.clock, {
        providerId: provider.id,
        state: start.state,
        nonce: start.nonce,
        codeVerifier: start.codeVerifier,
        postAuthAction: next,
      }),
    );

    // respond
    rememberUpstreamSession(request, reply, deps, session.id);
    return reply.header('cache-control', 'no-store').redirect(start.url, 303);
  });
}
