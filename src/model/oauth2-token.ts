// Access and refresh tokens of an OAuth 2.0 session. Only their SHA-256 is stored (MAS stores the
// tokens themselves). Refresh tokens rotate: using one consumes it and links it to its successor.

import type { AccessTokenId, OAuth2SessionId, RefreshTokenId } from './ids.ts';

export interface AccessToken {
  readonly id: AccessTokenId;
  readonly sessionId: OAuth2SessionId;
  readonly tokenHash: string;
  readonly createdAt: Date;
  /** Null: never expires (not issued by the OAuth endpoints, which always set a lifetime). */
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly firstUsedAt: Date | null;
}

export interface RefreshToken {
  readonly id: RefreshTokenId;
  readonly sessionId: OAuth2SessionId;
  readonly tokenHash: string;
  /** The access token issued together with this refresh token. */
  readonly accessTokenId: AccessTokenId | null;
  readonly createdAt: Date;
  readonly consumedAt: Date | null;
  readonly revokedAt: Date | null;
  /** The refresh token that replaced this one when it was used. */
  readonly nextRefreshTokenId: RefreshTokenId | null;
}

export function isAccessTokenValid(token: AccessToken, now: Date): boolean {
  return (
    token.revokedAt === null &&
    (token.expiresAt === null || token.expiresAt.getTime() > now.getTime())
  );
}

export function isRefreshTokenUsable(token: RefreshToken): boolean {
  return token.revokedAt === null && token.consumedAt === null;
}
