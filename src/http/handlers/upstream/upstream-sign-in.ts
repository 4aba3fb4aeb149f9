// The last step of every upstream sign-in (existing link, new account, account just linked):
// inside the caller's transaction, sign the browser in as the user through the completed
// authorization session — reuse this browser's session when it is the same user's, end it when it
// is someone else's (as the password login does), record the authentication, mark the
// authorization session consumed (once: a second tab loses), and apply `admin_claim`. Then, after
// the transaction, set the cookie and go where the sign-in started (`next`), else to /account.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticationMethod } from '../../../model/browser-authentication.ts';
import type { BrowserSession } from '../../../model/browser-session.ts';
import type { UpstreamOAuthProvider, UpstreamOAuthSession } from '../../../model/upstream-oauth.ts';
import { isUserDeactivated, isUserLocked, type User } from '../../../model/user.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { adminDecision, type Claims } from '../../../upstream/claim-requirements.ts';
import { currentBrowserSession, startBrowserSession } from '../../browser-session.ts';
import { HumanPageError } from '../human/page.ts';
import { staleSignInPage, type UpstreamDeps } from './upstream-flow.ts';
import { forgetUpstreamSession } from './upstream-session-cookie.ts';

/**
 * The authentication method recorded for an upstream sign-in. The model's AuthenticationMethod
 * lists only 'password' so far; the column is free text, and adding 'upstream_oauth2' there is
 * requested (see the report of this change).
 */
const UPSTREAM_METHOD: AuthenticationMethod = 'upstream_oauth2';

/** The page for an account that may not sign in, or null when it may. */
export function accountRefusal(
  deps: Pick<UpstreamDeps, 'urls'>,
  user: User,
): HumanPageError | null {
  const back = { back: `${deps.urls.basePath}login` };
  if (isUserDeactivated(user)) {
    return new HumanPageError(
      403,
      'Account deactivated',
      'This account has been deactivated.',
      back,
    );
  }
  if (isUserLocked(user)) {
    return new HumanPageError(
      403,
      'Account locked',
      'This account is locked. Contact the administrator.',
      back,
    );
  }
  return null;
}

export interface UpstreamSignIn {
  readonly browserSession: BrowserSession;
  readonly session: UpstreamOAuthSession;
}

/** Signs the browser in as `user` (see the header); throws the page when it cannot. */
export async function signInThroughUpstream(
  request: FastifyRequest,
  deps: UpstreamDeps,
  repos: Repositories,
  input: {
    readonly user: User;
    readonly provider: UpstreamOAuthProvider;
    readonly session: UpstreamOAuthSession;
    readonly claims: Claims;
  },
): Promise<UpstreamSignIn> {
  const user = input.user;
  const refusal = accountRefusal(deps, user);
  if (refusal !== null) throw refusal;

  const current = await currentBrowserSession(request, { ...deps, repos });
  let browserSession = current?.session ?? null;
  if (current !== null && current.user.id !== user.id) {
    await repos.browserSessions.finish(deps.clock, current.session);
    await deps.introspectionCache?.invalidate({ browserSession: current.session.id });
    browserSession = null;
  }
  browserSession ??= await repos.browserSessions.add(
    deps.rng,
    deps.clock,
    user,
    request.headers['user-agent'] ?? null,
  );
  const consumed = await repos.upstreamOAuthSessions.consume(
    deps.clock,
    input.session,
    browserSession.id,
  );
  if (consumed === null) throw staleSignInPage(deps, 'This sign-in has already been used.');
  await repos.browserSessions.authenticate(
    deps.rng,
    deps.clock,
    browserSession,
    UPSTREAM_METHOD,
    null,
  );

  const decision = adminDecision(input.provider.adminClaim, input.claims);
  const isAdmin = user.canRequestAdmin;
  if ((decision === 'grant' && !isAdmin) || (decision === 'revoke' && isAdmin)) {
    await repos.users.setCanRequestAdmin(user, decision === 'grant');
  }
  return { browserSession, session: consumed };
}

/** After the transaction: the cookie, forgetting the used sign-in, and the redirect onwards. */
export function finishUpstreamSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: UpstreamDeps,
  signIn: UpstreamSignIn,
): FastifyReply {
  startBrowserSession(reply, deps, signIn.browserSession);
  forgetUpstreamSession(request, reply, deps, signIn.session.id);
  return reply
    .header('cache-control', 'no-store')
    .redirect(signIn.session.postAuthAction ?? `${deps.urls.basePath}account`, 303);
}
