// `GET|POST /consent/{grant_id}`: the consent page of an authorization request (MAS:
// oauth2/authorization/consent.rs). GET shows who is asking (name, logo, links) and what for (the
// scopes in plain words); POST (CSRF-checked) allows — the consent is remembered for the user and
// client, the grant fulfilled and the code sent back — or denies — the grant is cancelled and the
// client gets `access_denied`.
//
// Only a signed-in user may answer, and only when the request does not need a fresh sign-in
// first (`prompt=login`, `max_age`): otherwise the browser goes to the login page and back.
// The grant is bound to the browser session that answers it.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthorizationGrant } from '../../../model/authorization-grant.ts';
import type { OAuth2Client } from '../../../model/oauth2-client.ts';
import { parseScope } from '../../../oauth2/scope.ts';
import { currentBrowserSession } from '../../browser-session.ts';
import { csrfToken, CSRF_FIELD, verifyCsrf } from '../../csrf.ts';
import { csrfPageError, pageError, param, sendPage, type HumanDeps } from '../human/page.ts';
import {
  englishText,
  pageMessage,
  type MessageKey,
  type PageMessage,
} from '../human/page-message.ts';
import {
  fulfil,
  hostOf,
  loadPendingGrant,
  loginPath,
  needsSignIn,
  sendAuthorizationResponse,
  targetOf,
} from './authorize.ts';

const SCOPE_WORDS: Readonly<Record<string, MessageKey>> = {
  openid: 'consent.scope.openid',
  profile: 'consent.scope.profile',
  email: 'consent.scope.email',
  'urn:matrix:client:api:*': 'consent.scope.matrix_client',
  'urn:matrix:org.matrix.msc2967.client:api:*': 'consent.scope.matrix_client',
  'urn:synapse:admin:*': 'consent.scope.synapse_admin',
  'urn:mas:admin': 'consent.scope.mas_admin',
  'urn:mas:graphql:*': 'consent.scope.mas_graphql',
};

/**
 * One line per scope, in plain words (`message`, shown in the reader's language; `description`
 * is its English text); unknown scopes are shown as they are.
 */
export function describeScopes(
  scope: string,
): { scope: string; description: string; message: PageMessage }[] {
  const lines: { scope: string; description: string; message: PageMessage }[] = [];
  const seen = new Set<string>();
  for (const token of parseScope(scope)) {
    const device = /^urn:matrix:(?:org\.matrix\.msc2967\.)?client:device:(.+)$/.exec(token);
    const known = SCOPE_WORDS[token];
    const message =
      known !== undefined
        ? pageMessage(known)
        : device !== null
          ? pageMessage('consent.scope.device', { device: device[1]! })
          : pageMessage('consent.scope.other', { scope: token });
    const description = englishText(message);
    if (seen.has(description)) continue;
    seen.add(description);
    lines.push({ scope: token, description, message });
  }
  return lines;
}

/** Links shown on the consent page: only http(s) URIs (never `javascript:`). */
function safeLink(uri: string | null): string | null {
  if (uri === null) return null;
  try {
    const url = new URL(uri);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}

function clientView(client: OAuth2Client, grant: AuthorizationGrant) {
  const logo = safeLink(client.logoUri);
  return {
    name: client.clientName ?? hostOf(grant.redirectUri),
    logo_uri: logo !== null && logo.startsWith('https:') ? logo : null,
    client_uri: safeLink(client.clientUri),
    tos_uri: safeLink(client.tosUri),
    policy_uri: safeLink(client.policyUri),
    redirect_host: hostOf(grant.redirectUri),
  };
}

export function registerConsent(app: FastifyInstance, deps: HumanDeps): void {
  app.get('/consent/:grantId', async (request, reply) => {
    const view = await deps.storage.transaction(async (repos) => {
      const { grant, client } = await loadPendingGrant(repos, request);
      const current = await currentBrowserSession(request, { ...deps, repos });
      if (current === null || (await needsSignIn(repos, grant, current, deps.clock.now()))) {
        return { login: loginPath(deps, grant, 'login') };
      }
      return {
        page: {
          grant_id: grant.id,
          client: clientView(client, grant),
          scopes: describeScopes(grant.scope),
          username: current.user.username,
          ui_locales: grant.uiLocales,
        },
      };
    });
    if ('login' in view)
      return reply.header('cache-control', 'no-store').redirect(view.login!, 303);
    return sendPage(reply, deps, 'pages/consent.html', {
      ...view.page,
      csrf_token: csrfToken(request, reply, deps),
    });
  });

  app.post('/consent/:grantId', async (request, reply) => {
    // parse and check CSRF
    const action = param(request.body, 'action');
    checkCsrf(request, deps);
    if (action !== 'allow' && action !== 'deny') {
      throw pageError(400, 'error.bad_request.title', pageMessage('consent.choose'));
    }

    type Outcome =
      { login: string } | { target: ReturnType<typeof targetOf>; values: Record<string, string> };
    const outcome = await deps.storage.transaction(async (repos): Promise<Outcome> => {
      // load and check
      const { grant, client } = await loadPendingGrant(repos, request);
      const current = await currentBrowserSession(request, { ...deps, repos });
      if (current === null || (await needsSignIn(repos, grant, current, deps.clock.now()))) {
        return { login: loginPath(deps, grant, 'login') };
      }
      const target = targetOf(grant, client);

      // mutate and save
      if (action === 'deny') {
        await repos.authorizationGrants.cancel(deps.clock, grant);
        return {
          target,
          values: { error: 'access_denied', error_description: 'the user denied access' },
        };
      }
      await repos.consents.grant(
        deps.rng,
        deps.clock,
        current.user.id,
        client.id,
        parseScope(grant.scope),
      );
      const code = await fulfil(repos, deps, grant, current);
      return { target, values: { code } };
    });

    // respond
    if ('login' in outcome) {
      return reply.header('cache-control', 'no-store').redirect(outcome.login, 303);
    }
    return sendAuthorizationResponse(reply, deps, outcome.target, outcome.values);
  });
}

function checkCsrf(request: FastifyRequest, deps: HumanDeps): void {
  try {
    verifyCsrf(request, deps, param(request.body, CSRF_FIELD));
  } catch (error) {
    throw csrfPageError(error);
  }
}
