// GET and POST /oauth2/logout: the `end_session_endpoint` (OpenID Connect RP-Initiated Logout
// 1.0). MAS has none; Gatehouse adds it.
//
// Parameters (query for GET, form body for POST): `id_token_hint`, `client_id`,
// `post_logout_redirect_uri`, `state`, `ui_locales` (accepted; the pages have one language today).
//
// parse → validate (one transaction, read only):
//   - the hint must be an id_token we signed (signature by one of our keys, our issuer); an expired
//     one is still a good hint (§2: the RP often holds only an old one);
//   - `client_id`, when given with a hint, must be one of the hint's audiences;
//   - `post_logout_redirect_uri` needs a client (from the hint or `client_id`) and must be one of
//     its registered `post_logout_redirect_uris`, exactly;
//   a bad hint, client or URI is an HTML error page and never a redirect (§3: the OP must not
//   send the browser to an unverified URI).
// → decide:
//   - no browser session: nothing to end; redirect (or the "signed out" page);
//   - the hint names the session's user: end the session now;
//   - otherwise (no hint, or another user's): ask first — a confirmation form (CSRF) that POSTs
//     back here with `confirm`, so a third-party page cannot sign people out with a bare link.
// → end: finish the browser session and every OAuth 2.0 session it authorised (their tokens are
//   revoked), forget the cookie → redirect to the URI with `state`, or show the "signed out" page.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Keystore } from '../../../crypto/keystore.ts';
import { asOAuth2ClientId } from '../../../model/ids.ts';
import type { OAuth2Client } from '../../../model/oauth2-client.ts';
import { OAUTH_PATHS } from '../../../oauth2/discovery.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import type { Repositories } from '../../../storage/storage.ts';
import {
  currentBrowserSession,
  endBrowserSession,
  type CurrentBrowserSession,
} from '../../browser-session.ts';
import { csrfToken, CSRF_FIELD } from '../../csrf.ts';
import { clientDisplayName } from './device-consent.ts';
import { requireCsrf } from './link.ts';
import { pageError, param, sendPage, type HumanDeps, type HumanPageError } from './page.ts';
import { pageMessage, type MessageKey, type MessageVars } from './page-message.ts';

export type EndSessionDeps = HumanDeps & {
  readonly keystore: Pick<Keystore, 'verify'>;
  readonly introspectionCache?: IntrospectionCache | undefined;
};

interface LogoutRequest {
  readonly idTokenHint: string | undefined;
  readonly clientId: string | undefined;
  readonly postLogoutRedirectUri: string | undefined;
  readonly state: string | undefined;
  readonly uiLocales: string | undefined;
}

/** What the verified hint says. */
interface Hint {
  readonly subject: string;
  readonly audiences: readonly string[];
}

interface Validated {
  readonly client: OAuth2Client | null;
  readonly hint: Hint | null;
  /** The redirect target with `state` added, or null for the "signed out" page. */
  readonly redirectTo: string | null;
}

const refuse = (message: MessageKey, vars?: MessageVars): HumanPageError =>
  pageError(400, 'logout.errors.title', pageMessage(message, vars));

function readRequest(source: unknown): LogoutRequest {
  // A value sent twice arrives as an array, which `param` ignores: refuse it rather than guess.
  for (const name of ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state']) {
    const value =
      typeof source === 'object' && source !== null
        ? (source as Record<string, unknown>)[name]
        : undefined;
    if (value !== undefined && typeof value !== 'string')
      throw refuse('logout.errors.repeated_parameter', { name });
  }
  const get = (name: string) => {
    const value = param(source, name);
    return value === '' ? undefined : value;
  };
  return {
    idTokenHint: get('id_token_hint'),
    clientId: get('client_id'),
    postLogoutRedirectUri: get('post_logout_redirect_uri'),
    state: get('state'),
    uiLocales: get('ui_locales'),
  };
}

/** The hint's subject and audiences when we signed it for our issuer; expiry is not checked. */
async function verifyHint(
  hint: string,
  deps: Pick<EndSessionDeps, 'keystore' | 'urls'>,
): Promise<Hint> {
  const invalid = refuse('logout.errors.foreign_id_token');
  let claims: unknown;
  try {
    const { payload } = await deps.keystore.verify(hint);
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as unknown;
  } catch {
    throw invalid;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw invalid;
  const { iss, sub, aud } = claims as Record<string, unknown>;
  if (iss !== deps.urls.issuer || typeof sub !== 'string' || sub === '') throw invalid;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (audiences.length === 0 || !audiences.every((a) => typeof a === 'string')) throw invalid;
  return { subject: sub, audiences: audiences as string[] };
}

/** `uri` with `state` added to its query (keeping what the client registered in it). */
function withState(uri: string, state: string | undefined): string {
  if (state === undefined) return uri;
  const url = new URL(uri);
  url.searchParams.append('state', state);
  return url.toString();
}

async function validate(
  request: LogoutRequest,
  repos: Repositories,
  deps: EndSessionDeps,
): Promise<Validated> {
  const hint =
    request.idTokenHint === undefined ? null : await verifyHint(request.idTokenHint, deps);
  if (hint !== null && request.clientId !== undefined && !hint.audiences.includes(request.clientId))
    throw refuse('logout.errors.client_mismatch');
  // The client: named by client_id, else the hint's audience when it has exactly one.
  const clientId =
    request.clientId ?? (hint !== null && hint.audiences.length === 1 ? hint.audiences[0] : null);
  let client: OAuth2Client | null = null;
  if (clientId != null) {
    client = await repos.oauth2Clients.lookup(asOAuth2ClientId(clientId));
    if (client === null) throw refuse('logout.errors.unknown_client');
  }
  let redirectTo: string | null = null;
  if (request.postLogoutRedirectUri !== undefined) {
    if (client === null) throw refuse('logout.errors.redirect_without_client');
    if (!client.postLogoutRedirectUris.includes(request.postLogoutRedirectUri))
      throw refuse('logout.errors.redirect_not_registered');
    redirectTo = withState(request.postLogoutRedirectUri, request.state);
  }
  return { client, hint, redirectTo };
}

/** Ends the browser session and the OAuth 2.0 sessions it authorised (revoking their tokens). */
async function endSessions(
  repos: Repositories,
  deps: EndSessionDeps,
  current: CurrentBrowserSession,
): Promise<void> {
  const ended = await repos.oauth2Sessions.finishAllForBrowserSession(
    deps.clock,
    current.session.id,
  );
  // Their Matrix devices go from the homeserver (a sync-devices job).
  if (ended > 0 && deps.config.matrix !== undefined) {
    await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, current.user.id);
  }
  await repos.browserSessions.finish(deps.clock, current.session);
  await deps.introspectionCache?.invalidate({ browserSession: current.session.id });
}

function finish(reply: FastifyReply, deps: EndSessionDeps, validated: Validated): FastifyReply {
  if (validated.redirectTo !== null) {
    return reply.header('cache-control', 'no-store').redirect(validated.redirectTo, 303);
  }
  return sendPage(reply, deps, 'pages/logged-out.html', {
    client_name: validated.client === null ? null : clientDisplayName(validated.client),
  });
}

export function registerEndSession(app: FastifyInstance, deps: EndSessionDeps): void {
  const handle = async (
    request: FastifyRequest,
    reply: FastifyReply,
    source: unknown,
    confirmed: boolean,
  ) => {
    // parse
    const logout = readRequest(source);
    if (confirmed) {
      requireCsrf(request, deps, deps.urls.basePath, param(source, CSRF_FIELD));
    }

    // load → check → mutate → save (one transaction)
    const result = await deps.storage.transaction(async (repos) => {
      const validated = await validate(logout, repos, deps);
      const current = await currentBrowserSession(request, { ...deps, repos });
      if (current === null) return { validated, ended: false, ask: null };
      const sameUser = validated.hint !== null && validated.hint.subject === current.user.id;
      if (!confirmed && !sameUser) return { validated, ended: false, ask: current };
      await endSessions(repos, deps, current);
      return { validated, ended: true, ask: null };
    });

    // respond
    if (result.ask !== null) {
      return sendPage(reply, deps, 'pages/logout-confirm.html', {
        csrf_token: csrfToken(request, reply, deps),
        action: `${deps.urls.basePath}${OAUTH_PATHS.endSession.slice(1)}`,
        username: result.ask.user.username,
        client_name:
          result.validated.client === null ? null : clientDisplayName(result.validated.client),
        id_token_hint: logout.idTokenHint ?? null,
        client_id: logout.clientId ?? null,
        post_logout_redirect_uri: logout.postLogoutRedirectUri ?? null,
        state: logout.state ?? null,
        ui_locales: logout.uiLocales ?? null,
      });
    }
    if (result.ended) endBrowserSession(reply, deps);
    return finish(reply, deps, result.validated);
  };

  app.get(OAUTH_PATHS.endSession, async (request, reply) =>
    handle(request, reply, request.query, false),
  );
  // A POST is either the RP's own request (OIDC allows form-encoded POSTs) or the confirmation
  // form, which carries `confirm` and the CSRF token.
  app.post(OAUTH_PATHS.endSession, async (request, reply) =>
    handle(request, reply, request.body, param(request.body, 'confirm') !== undefined),
  );
}
