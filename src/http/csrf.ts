// CSRF protection for every form POST of the human pages (MAS: `csrf` cookie + hidden `csrf`
// field). A random token lives in the encrypted `csrf` cookie with an expiry; the page puts the
// same token in a hidden field; a POST is accepted only when the field equals the cookie's token
// (constant-time) and the cookie has not expired. SameSite=Lax already keeps the cookie off
// cross-site POSTs; the token also covers same-site attackers and older browsers.

import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import { readEncryptedCookie, setEncryptedCookie, type CookieDeps } from './cookies.ts';

export const CSRF_COOKIE = 'csrf';
export const CSRF_FIELD = 'csrf';
/** A form may stay open this long before its token expires (MAS: 1 hour). */
const CSRF_LIFETIME_SECONDS = 3600;

export interface CsrfDeps extends CookieDeps {
  readonly clock: Clock;
}

interface CsrfCookie {
  readonly token: string;
  /** Seconds since the epoch. */
  readonly expires: number;
}

/** Why a form's token was refused; pages word each reason in the reader's language. */
export const CSRF_ERROR_CODES = ['missing', 'no-cookie', 'expired', 'mismatch'] as const;
export type CsrfErrorCode = (typeof CSRF_ERROR_CODES)[number];

/** Each reason in English, for logs (pages translate the code: human/page-message.ts). */
const CSRF_ERROR_TEXT: Readonly<Record<CsrfErrorCode, string>> = {
  missing: 'The form was sent without its security token.',
  'no-cookie': 'The form could not be checked: your browser did not send its security cookie.',
  expired: 'The form has expired.',
  mismatch: 'The form’s security token does not match.',
};

/** The form's token was missing, wrong or expired (HTTP 400). */
export class CsrfError extends Error {
  override readonly name = 'CsrfError';
  readonly code: CsrfErrorCode;
  constructor(code: CsrfErrorCode) {
    super(CSRF_ERROR_TEXT[code]);
    this.code = code;
  }
}

const nowSeconds = (clock: Clock): number => Math.floor(clock.now().getTime() / 1000);

function readCsrfCookie(request: FastifyRequest, deps: CsrfDeps): CsrfCookie | null {
  const raw = readEncryptedCookie(request, deps, CSRF_COOKIE);
  if (raw === null) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<CsrfCookie>;
    if (typeof parsed.token !== 'string' || typeof parsed.expires !== 'number') return null;
    return { token: parsed.token, expires: parsed.expires };
  } catch {
    return null;
  }
}

/**
 * The token to put in the page's forms: the cookie's token while it is valid (so several open tabs
 * keep working), else a new one. The cookie is (re)set with a fresh expiry either way.
 */
export function csrfToken(request: FastifyRequest, reply: FastifyReply, deps: CsrfDeps): string {
  const now = nowSeconds(deps.clock);
  const current = readCsrfCookie(request, deps);
  const token =
    current !== null && current.expires > now
      ? current.token
      : Buffer.from(deps.rng.bytes(32)).toString('base64url');
  const cookie: CsrfCookie = { token, expires: now + CSRF_LIFETIME_SECONDS };
  setEncryptedCookie(reply, deps, CSRF_COOKIE, JSON.stringify(cookie));
  return token;
}

/** Throws CsrfError unless `submitted` is the current, unexpired token of the `csrf` cookie. */
export function verifyCsrf(request: FastifyRequest, deps: CsrfDeps, submitted: unknown): void {
  if (typeof submitted !== 'string' || submitted === '') throw new CsrfError('missing');
  const cookie = readCsrfCookie(request, deps);
  if (cookie === null) throw new CsrfError('no-cookie');
  if (cookie.expires <= nowSeconds(deps.clock)) throw new CsrfError('expired');
  const a = Buffer.from(submitted);
  const b = Buffer.from(cookie.token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new CsrfError('mismatch');
}
