// The browser session behind the encrypted `session` cookie (MAS's name): the cookie holds only
// the session id; the session itself (and whether it is finished) lives in the database. A cookie
// that is missing, cannot be decrypted, names a finished or unknown session, or belongs to a
// locked or deactivated user counts as "not signed in".
//
// These helpers take the request's repositories, so the lookup happens inside the handler's one
// transaction.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { isActive, type BrowserSession } from '../model/browser-session.ts';
import { asBrowserSessionId } from '../model/ids.ts';
import { isUserActive, type User } from '../model/user.ts';
import type { Repositories } from '../storage/storage.ts';
import {
  clearCookie,
  readEncryptedCookie,
  setEncryptedCookie,
  type CookieDeps,
} from './cookies.ts';

export const SESSION_COOKIE = 'session';
/** The cookie outlives browser restarts; the session's end is decided by the database. */
const SESSION_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 3600;

export interface CurrentBrowserSession {
  readonly session: BrowserSession;
  readonly user: User;
}

export type SessionRepos = Pick<Repositories, 'browserSessions' | 'users'>;

/** The browser session id the request's cookie names, or null (no check against the database). */
export function browserSessionIdFromCookie(
  request: FastifyRequest,
  deps: Pick<CookieDeps, 'encrypter'>,
): string | null {
  const id = readEncryptedCookie(request, deps, SESSION_COOKIE);
  return id !== null && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id) ? id : null;
}

/** The request's active browser session and its user, or null when not signed in. */
export async function currentBrowserSession(
  request: FastifyRequest,
  deps: Pick<CookieDeps, 'encrypter'> & { readonly repos: SessionRepos },
): Promise<CurrentBrowserSession | null> {
  const id = browserSessionIdFromCookie(request, deps);
  if (id === null) return null;
  const session = await deps.repos.browserSessions.lookup(asBrowserSessionId(id));
  if (session === null || !isActive(session)) return null;
  const user = await deps.repos.users.lookup(session.userId);
  if (user === null || !isUserActive(user)) return null;
  return { session, user };
}

/** Points the browser at `session` (after it was added and authenticated). */
export function startBrowserSession(
  reply: FastifyReply,
  deps: CookieDeps,
  session: BrowserSession,
): void {
  setEncryptedCookie(reply, deps, SESSION_COOKIE, session.id, SESSION_COOKIE_MAX_AGE_SECONDS);
}

/** Forgets the session cookie (the caller finishes the session in the database). */
export function endBrowserSession(reply: FastifyReply, deps: Pick<CookieDeps, 'urls'>): void {
  clearCookie(reply, deps, SESSION_COOKIE);
}
