// Access and refresh tokens of OAuth 2.0 sessions, found by the SHA-256 of the token.

import type { Clock } from '../clock.ts';
import type { AccessTokenId, OAuth2SessionId, RefreshTokenId } from '../model/ids.ts';
import type { OAuth2Session } from '../model/oauth2-session.ts';
import type { AccessToken, RefreshToken } from '../model/oauth2-token.ts';
import type { Rng } from '../rng.ts';

export interface AccessTokenRepository {
  add(
    rng: Rng,
    clock: Clock,
    session: OAuth2Session,
    tokenHash: string,
    expiresAt: Date | null,
  ): Promise<AccessToken>;
  lookup(id: AccessTokenId): Promise<AccessToken | null>;
  findByHash(tokenHash: string): Promise<AccessToken | null>;
  revoke(clock: Clock, token: AccessToken): Promise<AccessToken>;
  /**
   * Revokes the token with this id unless it is already revoked, in one statement (the refresh
   * grant's hot path: no read first). True when this call revoked it.
   */
  revokeUnrevoked(clock: Clock, id: AccessTokenId): Promise<boolean>;
  /** Marks tokens used for the first time (batched from introspection); later uses keep the first time. */
  markFirstUsed(entries: readonly { id: AccessTokenId; at: Date }[]): Promise<void>;
  /** Retention: deletes tokens revoked or expired before `before`. */
  deleteRevokedOrExpiredBefore(before: Date): Promise<number>;
}

export interface RefreshTokenRepository {
  add(
    rng: Rng,
    clock: Clock,
    session: OAuth2Session,
    tokenHash: string,
    accessToken: AccessToken | null,
  ): Promise<RefreshToken>;
  lookup(id: RefreshTokenId): Promise<RefreshToken | null>;
  findByHash(tokenHash: string): Promise<RefreshToken | null>;
  /**
   * Marks `token` consumed and points it at its successor. Checked against the row: it must not be
   * revoked, and its successor must still be the one the caller read (`token.nextRefreshTokenId`:
   * null for a fresh token, the old successor when the lost-response rule re-issues), otherwise
   * `StateConflictError` (./state-conflict-error.ts), so two concurrent refreshes with one token
   * cannot both succeed. A token consumed again keeps its first `consumedAt`.
   */
  consume(clock: Clock, token: RefreshToken, next: RefreshToken): Promise<RefreshToken>;
  revoke(clock: Clock, token: RefreshToken): Promise<RefreshToken>;
  /** Every token of a session, oldest first (for the lost-response rule and session end). */
  listForSession(sessionId: OAuth2SessionId): Promise<RefreshToken[]>;
  /** Retention: deletes tokens revoked or consumed before `before`. */
  deleteRevokedOrConsumedBefore(before: Date): Promise<number>;
}
