// The compat-token branch of `POST /oauth2/introspect` (called from ../oauth2/introspect.ts for
// `mct_` and `mcr_` tokens). MAS's answer for compat tokens: `client_id: "legacy"`, the Matrix API
// scope in its stable and unstable forms, `urn:synapse:admin:*` when the session has it, and the
// device either as a scope (both forms) or, when the homeserver sent
// `X-MAS-Supports-Device-Id: 1`, in `device_id`. `username` is the localpart, `sub` the user's id.
// Anything unknown, expired, revoked or consumed, of an ended session or of a locked or
// deactivated user, is `{"active": false}`.
//
// Active answers about access tokens asked by the homeserver are cached (as OAuth 2.0 tokens'
// are): every place that ends a compat session or revokes its access token invalidates them
// (logout, logout/all, refresh, device replacement, session limit, account pages, Admin API,
// lock/deactivation/recovery through the user, back-channel logout through the browser session).

import type { Clock } from '../../../clock.ts';
import { tokenHash } from '../../../crypto/tokens.ts';
import {
  isCompatAccessTokenValid,
  isCompatRefreshTokenUsable,
  isCompatSessionActive,
  type CompatSession,
} from '../../../model/compat-session.ts';
import { isUserActive, type User } from '../../../model/user.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
import type { Repositories } from '../../../storage/storage.ts';

export const COMPAT_CLIENT_ID = 'legacy';

const API_SCOPES = ['urn:matrix:client:api:*', 'urn:matrix:org.matrix.msc2967.client:api:*'];
const DEVICE_PREFIXES = [
  'urn:matrix:client:device:',
  'urn:matrix:org.matrix.msc2967.client:device:',
];
const SYNAPSE_ADMIN = 'urn:synapse:admin:*';

/** MAS's introspection fields for a compat token (absent fields left out). */
export interface CompatIntrospection {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: 'access_token' | 'refresh_token';
  exp?: number;
  expires_in?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  device_id?: string;
}

export interface CompatIntrospectionOptions {
  readonly clock: Clock;
  /** The caller sent `X-MAS-Supports-Device-Id: 1`. */
  readonly supportsDeviceId: boolean;
  /** Records the use of the session (the introspecting party is the homeserver: no ip). */
  readonly recordUse?: (session: CompatSession) => void;
  /** Where an active answer about an access token is kept, under `key`; null: not cached. */
  readonly cache?: { readonly key: string; readonly cache: IntrospectionCache } | null;
}

const INACTIVE: CompatIntrospection = { active: false };
const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

export function compatScope(session: CompatSession, supportsDeviceId: boolean): string {
  const scopes = [...API_SCOPES];
  if (!supportsDeviceId) scopes.push(...DEVICE_PREFIXES.map((prefix) => prefix + session.deviceId));
  if (session.isSynapseAdmin) scopes.push(SYNAPSE_ADMIN);
  return scopes.sort().join(' ');
}

/** Introspects a token whose shape `checkToken` found to be a compat access or refresh token. */
export async function introspectCompatToken(
  repos: Repositories,
  token: string,
  kind: 'compatAccessToken' | 'compatRefreshToken',
  options: CompatIntrospectionOptions,
): Promise<CompatIntrospection> {
  const now = options.clock.now();
  const hash = tokenHash(token);
  let found: {
    id: string;
    sessionId: CompatSession['id'];
    createdAt: Date;
    expiresAt: Date | null;
  } | null;
  if (kind === 'compatAccessToken') {
    const access = await repos.compatAccessTokens.findByHash(hash);
    found = access !== null && isCompatAccessTokenValid(access, now) ? access : null;
  } else {
    const refresh = await repos.compatRefreshTokens.findByHash(hash);
    found =
      refresh !== null && isCompatRefreshTokenUsable(refresh)
        ? { ...refresh, expiresAt: null }
        : null;
  }
  if (found === null) return INACTIVE;
  const session = await repos.compatSessions.lookup(found.sessionId);
  if (session === null || !isCompatSessionActive(session)) return INACTIVE;
  const user: User | null = await repos.users.lookup(session.userId);
  if (user === null || !isUserActive(user)) return INACTIVE;
  options.recordUse?.(session);

  const body: CompatIntrospection = {
    active: true,
    scope: compatScope(session, options.supportsDeviceId),
    client_id: COMPAT_CLIENT_ID,
    username: user.username,
    token_type: kind === 'compatAccessToken' ? 'access_token' : 'refresh_token',
  };
  if (found.expiresAt !== null) {
    const exp = seconds(found.expiresAt);
    body.exp = exp;
    body.expires_in = Math.max(0, exp - seconds(now));
  }
  body.iat = seconds(found.createdAt);
  body.nbf = seconds(found.createdAt);
  body.sub = user.id;
  if (options.supportsDeviceId) body.device_id = session.deviceId;
  if (options.cache && kind === 'compatAccessToken') {
    options.cache.cache.set(
      options.cache.key,
      {
        kind: 'compat',
        body: { ...body },
        sessionId: session.id,
        tokenId: found.id,
        exp: body.exp ?? null,
      },
      {
        tokenId: found.id,
        sessionId: session.id,
        userId: user.id,
        browserSessionId: session.browserSessionId,
      },
      found.expiresAt,
    );
  }
  return body;
}
