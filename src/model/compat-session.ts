// The compatibility layer's aggregate (MAS: `compat_sessions` and friends): a session created by a
// legacy Matrix login (`POST /_matrix/client/v3/login`), holding exactly one device, with its
// `mct_` access tokens, `mcr_` refresh tokens (only when the client asked for expiring tokens),
// and the single-sign-on logins that end in an `m.login.token` exchange.
//
// Only the SHA-256 of each token and of each SSO login token is stored.

import type { BrowserSessionId, Id, UserId } from './ids.ts';

export type CompatSessionId = Id<'CompatSessionId'>;
export type CompatAccessTokenId = Id<'CompatAccessTokenId'>;
export type CompatRefreshTokenId = Id<'CompatRefreshTokenId'>;
export type CompatSsoLoginId = Id<'CompatSsoLoginId'>;

export const asCompatSessionId = (value: string): CompatSessionId => value as CompatSessionId;
export const asCompatAccessTokenId = (value: string): CompatAccessTokenId =>
  value as CompatAccessTokenId;
export const asCompatRefreshTokenId = (value: string): CompatRefreshTokenId =>
  value as CompatRefreshTokenId;
export const asCompatSsoLoginId = (value: string): CompatSsoLoginId => value as CompatSsoLoginId;

export interface CompatSession {
  readonly id: CompatSessionId;
  readonly userId: UserId;
  /** The Matrix device this session holds. */
  readonly deviceId: string;
  /** The browser session that completed the SSO login, for `m.login.token` logins. */
  readonly browserSessionId: BrowserSessionId | null;
  /** Grants `urn:synapse:admin:*` (only ever set by `manage issue-compatibility-token`). */
  readonly isSynapseAdmin: boolean;
  /** `initial_device_display_name`. */
  readonly humanName: string | null;
  readonly userAgent: string | null;
  readonly lastActiveAt: Date | null;
  readonly lastActiveIp: string | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

export interface CompatAccessToken {
  readonly id: CompatAccessTokenId;
  readonly sessionId: CompatSessionId;
  readonly tokenHash: string;
  readonly createdAt: Date;
  /** Null: never expires (a login without `refresh_token: true`). */
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface CompatRefreshToken {
  readonly id: CompatRefreshTokenId;
  readonly sessionId: CompatSessionId;
  readonly tokenHash: string;
  /** The access token issued with it (revoked when this refresh token is used); null once deleted. */
  readonly accessTokenId: CompatAccessTokenId | null;
  readonly createdAt: Date;
  readonly consumedAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface CompatSsoLogin {
  readonly id: CompatSsoLoginId;
  /** Where the browser goes back to with `loginToken`. */
  readonly redirectUri: string;
  /** Set when the login is completed in the browser (the token exists only from then on). */
  readonly loginTokenHash: string | null;
  readonly createdAt: Date;
  readonly fulfilledAt: Date | null;
  readonly exchangedAt: Date | null;
  readonly browserSessionId: BrowserSessionId | null;
  readonly compatSessionId: CompatSessionId | null;
}

/** A login must be completed in the browser this long after it started (MAS: 30 min). */
export const SSO_LOGIN_COMPLETE_WITHIN_MS = 30 * 60 * 1000;
/** The `loginToken` must be exchanged this long after completion (MAS: 30 s). */
export const SSO_LOGIN_EXCHANGE_WITHIN_MS = 30 * 1000;

export function isCompatSessionActive(session: CompatSession): boolean {
  return session.finishedAt === null;
}

export function isCompatAccessTokenValid(token: CompatAccessToken, now: Date): boolean {
  return (
    token.revokedAt === null &&
    (token.expiresAt === null || token.expiresAt.getTime() > now.getTime())
  );
}

export function isCompatRefreshTokenUsable(token: CompatRefreshToken): boolean {
  return token.revokedAt === null && token.consumedAt === null;
}

/** Where an SSO login stands at `now`. */
export type SsoLoginStage = 'pending' | 'expired' | 'fulfilled' | 'exchange-expired' | 'exchanged';

export function ssoLoginStage(login: CompatSsoLogin, now: Date): SsoLoginStage {
  if (login.exchangedAt !== null) return 'exchanged';
  const t = now.getTime();
  if (login.fulfilledAt !== null) {
    return t - login.fulfilledAt.getTime() <= SSO_LOGIN_EXCHANGE_WITHIN_MS
      ? 'fulfilled'
      : 'exchange-expired';
  }
  return t - login.createdAt.getTime() <= SSO_LOGIN_COMPLETE_WITHIN_MS ? 'pending' : 'expired';
}
