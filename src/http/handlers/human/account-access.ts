// What every account page shares: its dependencies, the "signed in or go to the login page"
// check, the CSRF check of its forms, and how dates and user agents are shown.
//
// An account page that is not signed in answers 303 to `/login?next=<the page>`; a form POST does
// the same (after its CSRF check), so a session that ended in another tab lands on the login page.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HomeserverConnection } from '../../../matrix/homeserver-connection.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { currentBrowserSession, type CurrentBrowserSession } from '../../browser-session.ts';
import { csrfToken, CSRF_FIELD } from '../../csrf.ts';
import { requireCsrf } from './link.ts';
import { param, type HumanDeps } from './page.ts';

export type AccountDeps = HumanDeps & {
  readonly introspectionCache?: IntrospectionCache | undefined;
  /** The homeserver (profile, device names, cross-signing reset); absent or null without one. */
  readonly homeserver?: HomeserverConnection | null | undefined;
};

/** The account pages' paths, relative to the base path. */
export const ACCOUNT_PATHS = {
  overview: 'account',
  sessions: 'account/sessions',
  consents: 'account/consents',
  password: 'account/password',
  profile: 'account/profile',
  emails: 'account/emails',
  deactivate: 'account/deactivate',
  crossSigningReset: 'account/cross-signing-reset',
  tokens: 'account/tokens',
  upstream: 'account/upstream',
} as const;

export function accountUrl(deps: Pick<HumanDeps, 'urls'>, page: keyof typeof ACCOUNT_PATHS) {
  return `${deps.urls.basePath}${ACCOUNT_PATHS[page]}`;
}

/** Thrown inside a transaction when the request is not signed in; turned into the login redirect. */
export class NotSignedIn extends Error {
  override readonly name = 'NotSignedIn';
}

/** The signed-in session and user, read with the handler's repositories, or NotSignedIn. */
export async function signedIn(
  request: FastifyRequest,
  deps: AccountDeps,
  repos: Repositories,
): Promise<CurrentBrowserSession> {
  const current = await currentBrowserSession(request, { ...deps, repos });
  if (current === null) throw new NotSignedIn();
  return current;
}

/** 303 to the login page, coming back to `page` afterwards. */
export function toLogin(
  reply: FastifyReply,
  deps: AccountDeps,
  page: keyof typeof ACCOUNT_PATHS,
): FastifyReply {
  const next = new URLSearchParams({ next: `/${ACCOUNT_PATHS[page]}` }).toString();
  return reply
    .header('cache-control', 'no-store')
    .redirect(`${deps.urls.basePath}login?${next}`, 303);
}

/** Runs `body`; a NotSignedIn on the way becomes the redirect to the login page. */
export async function orLogin(
  reply: FastifyReply,
  deps: AccountDeps,
  page: keyof typeof ACCOUNT_PATHS,
  body: () => Promise<FastifyReply>,
): Promise<FastifyReply> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof NotSignedIn) return toLogin(reply, deps, page);
    throw error;
  }
}

/** Refuses a form POST without the page's CSRF token (the error page links back to `page`). */
export function checkAccountCsrf(
  request: FastifyRequest,
  deps: AccountDeps,
  page: keyof typeof ACCOUNT_PATHS,
): void {
  requireCsrf(request, deps, accountUrl(deps, page), param(request.body, CSRF_FIELD));
}

/** The context every account page gets: the CSRF token and the section links. */
export function accountContext(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AccountDeps,
  current: CurrentBrowserSession,
) {
  return {
    csrf_token: csrfToken(request, reply, deps),
    username: current.user.username,
    links: {
      overview: accountUrl(deps, 'overview'),
      sessions: accountUrl(deps, 'sessions'),
      consents: accountUrl(deps, 'consents'),
      password: passwordChangeAllowed(deps) ? accountUrl(deps, 'password') : null,
      profile: accountUrl(deps, 'profile'),
      emails: accountUrl(deps, 'emails'),
      tokens: deps.config.account.personal_access_tokens_allowed
        ? accountUrl(deps, 'tokens')
        : null,
      // Shown when upstream providers are configured.
      upstream:
        deps.config.upstream_oauth2.providers.length > 0 ? accountUrl(deps, 'upstream') : null,
      deactivate: deps.config.account.account_deactivation_allowed
        ? accountUrl(deps, 'deactivate')
        : null,
    },
  };
}

/** Whether people may change their password here (passwords on, and the operator allows it). */
export function passwordChangeAllowed(deps: Pick<HumanDeps, 'config' | 'passwords'>): boolean {
  return deps.passwords.enabled && deps.config.account.password_change_allowed;
}

/** `2026-11-22 08:05 UTC`: unambiguous, and the same for every reader. */
export function showDate(date: Date | null): string | null {
  if (date === null) return null;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
