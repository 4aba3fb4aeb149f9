// The encrypted `upstream-oauth2-sessions` cookie (MAS's name): which upstream authorization
// sessions this browser started, and the link each one reached. The callback and the link page
// accept only sessions listed here, so a callback URL or a link page opened in another browser
// (a login CSRF, a leaked URL) cannot sign anyone in or attach an upstream account to them.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { readEncryptedCookie, setEncryptedCookie, type CookieDeps } from '../../cookies.ts';

const COOKIE = 'upstream-oauth2-sessions';
/** Sessions remembered per browser; older ones are forgotten first. */
const MAX_REMEMBERED = 8;
/** A sign-in at a provider must finish within this time (the session is then forgotten). */
const COOKIE_MAX_AGE_SECONDS = 3600;

export interface RememberedUpstreamSession {
  readonly sessionId: string;
  /** Set once the callback found or made the link. */
  readonly linkId: string | null;
}

function isRemembered(value: unknown): value is RememberedUpstreamSession {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.sessionId === 'string' &&
    (entry.linkId === null || typeof entry.linkId === 'string')
  );
}

export function rememberedUpstreamSessions(
  request: FastifyRequest,
  deps: Pick<CookieDeps, 'encrypter'>,
): RememberedUpstreamSession[] {
  const raw = readEncryptedCookie(request, deps, COOKIE);
  if (raw === null) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter(isRemembered) : [];
  } catch {
    return [];
  }
}

function write(reply: FastifyReply, deps: CookieDeps, entries: RememberedUpstreamSession[]): void {
  setEncryptedCookie(
    reply,
    deps,
    COOKIE,
    JSON.stringify(entries.slice(-MAX_REMEMBERED)),
    COOKIE_MAX_AGE_SECONDS,
  );
}

/** Adds or updates the entry of `sessionId`; `linkId: undefined` keeps what it had. */
export function rememberUpstreamSession(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: CookieDeps,
  sessionId: string,
  linkId?: string,
): void {
  const entries = rememberedUpstreamSessions(request, deps);
  const previous = entries.find((entry) => entry.sessionId === sessionId);
  const others = entries.filter((entry) => entry.sessionId !== sessionId);
  write(reply, deps, [...others, { sessionId, linkId: linkId ?? previous?.linkId ?? null }]);
}

/** Forgets a session (it was used to sign in). */
export function forgetUpstreamSession(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: CookieDeps,
  sessionId: string,
): void {
  const entries = rememberedUpstreamSessions(request, deps);
  write(
    reply,
    deps,
    entries.filter((entry) => entry.sessionId !== sessionId),
  );
}
