// Encrypted cookies (MAS: "private" cookies): the value is sealed with `secrets.encryption`
// through the app's Encrypter, with the cookie's name in the authenticated context, so a value
// cannot be read, forged, or moved from one cookie to another. Every cookie is HttpOnly,
// SameSite=Lax, limited to Gatehouse's base path, and Secure when the public base is https.
//
// Reading needs @fastify/cookie registered on the scope (the human resource does it).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Encrypter } from '../crypto/encrypter.ts';
import type { Rng } from '../rng.ts';
import type { UrlBuilder } from './url-builder.ts';

export interface CookieDeps {
  readonly encrypter: Encrypter;
  readonly rng: Rng;
  readonly urls: UrlBuilder;
}

const contextFor = (name: string): string => `gatehouse-cookie:${name}`;

function cookieOptions(urls: UrlBuilder, maxAgeSeconds?: number) {
  return {
    path: urls.basePath,
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: urls.isSecure,
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  };
}

/** Sets cookie `name` to `value`, encrypted. Without `maxAgeSeconds` it ends with the browser session. */
export function setEncryptedCookie(
  reply: FastifyReply,
  deps: CookieDeps,
  name: string,
  value: string,
  maxAgeSeconds?: number,
): void {
  const sealed = deps.encrypter.encrypt(value, deps.rng, contextFor(name));
  reply.setCookie(name, sealed, cookieOptions(deps.urls, maxAgeSeconds));
}

/** The decrypted value of cookie `name`; null when it is absent or was not made by us for it. */
export function readEncryptedCookie(
  request: FastifyRequest,
  deps: Pick<CookieDeps, 'encrypter'>,
  name: string,
): string | null {
  const raw = request.cookies[name];
  if (raw === undefined || raw === '') return null;
  try {
    return deps.encrypter.decryptString(raw, contextFor(name));
  } catch {
    return null;
  }
}

/** Tells the browser to forget cookie `name`. */
export function clearCookie(
  reply: FastifyReply,
  deps: Pick<CookieDeps, 'urls'>,
  name: string,
): void {
  reply.clearCookie(name, cookieOptions(deps.urls));
}
