// GET and POST /complete-compat-sso/{id}: the human page of the legacy SSO flow (MAS:
// compat/login_sso_complete.rs). It needs a signed-in browser (else /login?next=here), then asks
// "Continue to <client host>?" — unless the user is at the soft session limit
// (`experimental.session_limit`), which sends them to the session-limit page first
// (../human/session-limit.ts) and back here (GET and POST alike). POST (with CSRF) completes the
// login within 30 minutes of its start: a new `loginToken` is made (only its hash is kept) and the
// browser goes to the client's `redirectUrl` with `loginToken` added; the client exchanges it with
// `m.login.token`.
//
// Registered by the `human` resource: it is a page with the human pages' cookies, CSP and errors.

import type { FastifyInstance } from 'fastify';
import { tokenHash } from '../../../crypto/tokens.ts';
import {
  asCompatSsoLoginId,
  ssoLoginStage,
  type CompatSsoLogin,
} from '../../../model/compat-session.ts';
import { randomString } from '../../../rng.ts';
import { StateConflictError } from '../../../storage/state-conflict-error.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { currentBrowserSession, type CurrentBrowserSession } from '../../browser-session.ts';
import { csrfToken, CSRF_FIELD } from '../../csrf.ts';
import { loginRedirect, requireCsrf } from '../human/link.ts';
import { pageError, param, sendPage, type HumanDeps, type HumanPageError } from '../human/page.ts';
import { pageMessage } from '../human/page-message.ts';
import { sessionLimitRedirect } from '../human/session-limit.ts';
import { checkSessionLimit } from '../../../services/session-limit.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** MAS's login tokens are 32 alphanumerics. */
const LOGIN_TOKEN_LENGTH = 32;

const notFound = (): HumanPageError =>
  pageError(
    404,
    'authorize.compat_sso_not_found_title',
    pageMessage('authorize.compat_sso_not_found'),
  );
const gone = (): HumanPageError =>
  pageError(400, 'authorize.compat_sso_gone_title', pageMessage('authorize.compat_sso_gone'));

type Loaded =
  | { readonly kind: 'sign-in' }
  | {
      readonly kind: 'ok';
      readonly current: CurrentBrowserSession;
      readonly login: CompatSsoLogin;
    };

async function load(
  deps: HumanDeps,
  request: Parameters<typeof currentBrowserSession>[0],
  repos: Repositories,
  rawId: string,
): Promise<Loaded> {
  const current = await currentBrowserSession(request, { ...deps, repos });
  if (current === null) return { kind: 'sign-in' };
  if (!ULID.test(rawId)) throw notFound();
  const login = await repos.compatSsoLogins.lookup(asCompatSsoLoginId(rawId));
  if (login === null) throw notFound();
  if (ssoLoginStage(login, deps.clock.now()) !== 'pending') throw gone();
  // The soft session limit (an interactive sign-in): over it, the user ends sessions first and
  // comes back here.
  const limit = await checkSessionLimit(repos, current.user, deps.config, 'interactive', deps);
  if (!limit.allowed) {
    throw sessionLimitRedirect(deps, `${deps.urls.basePath}complete-compat-sso/${login.id}`);
  }
  return { kind: 'ok', current, login };
}

/** `redirectUrl` with `loginToken` added (replacing one the client may have put there). */
export function withLoginToken(redirectUri: string, loginToken: string): string {
  const url = new URL(redirectUri);
  url.searchParams.set('loginToken', loginToken);
  return url.toString();
}

export function registerLoginSsoComplete(app: FastifyInstance, deps: HumanDeps): void {
  app.get<{ Params: { id: string } }>('/complete-compat-sso/:id', async (request, reply) => {
    const id = request.params.id;
    const loaded = await deps.storage.transaction((repos) => load(deps, request, repos, id));
    if (loaded.kind === 'sign-in') {
      return loginRedirect(
        reply,
        deps,
        `${deps.urls.basePath}complete-compat-sso/${encodeURIComponent(id)}`,
      );
    }
    const target = new URL(loaded.login.redirectUri);
    return sendPage(reply, deps, 'pages/compat-sso-continue.html', {
      csrf_token: csrfToken(request, reply, deps),
      login_id: loaded.login.id,
      username: loaded.current.user.username,
      redirect_host: target.host === '' ? target.protocol.replace(/:$/, '') : target.host,
    });
  });

  app.post<{ Params: { id: string } }>('/complete-compat-sso/:id', async (request, reply) => {
    // parse
    const id = request.params.id;
    const here = `${deps.urls.basePath}complete-compat-sso/${encodeURIComponent(id)}`;
    requireCsrf(request, deps, here, param(request.body, CSRF_FIELD));
    const loginToken = randomString(deps.rng, ALPHANUMERIC, LOGIN_TOKEN_LENGTH);

    const outcome = await deps.storage.transaction(async (repos) => {
      // authenticate → load → check
      const loaded = await load(deps, request, repos, id);
      if (loaded.kind === 'sign-in') return null;
      // mutate → save
      try {
        return await repos.compatSsoLogins.fulfill(
          deps.clock,
          loaded.login,
          loaded.current.session.id,
          tokenHash(loginToken),
        );
      } catch (error) {
        // Completed in another tab since the page was loaded.
        if (error instanceof StateConflictError) throw gone();
        throw error;
      }
    });

    // respond
    if (outcome === null) return loginRedirect(reply, deps, here);
    return reply
      .header('cache-control', 'no-store')
      .redirect(withLoginToken(outcome.redirectUri, loginToken), 303);
  });
}
