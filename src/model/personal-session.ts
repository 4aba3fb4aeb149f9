// Personal sessions and their personal access tokens (MAS `personal_sessions` /
// `personal_access_tokens`): a long-lived, named grant of scopes that acts as one user (the
// actor) and belongs either to a user (self-service, or the admin who made it) or to an OAuth 2.0
// client (an admin tool using client_credentials). A session holds at most one usable `mpt_`
// token at a time: regenerating revokes the previous one and issues another, so the session's id
// stays the same while the secret changes. Revoking the session ends every token it has.
//
// Only the SHA-256 of a token is stored (as MAS does for these tokens).

import type { Id, OAuth2ClientId, UserId } from './ids.ts';

export type PersonalSessionId = Id<'PersonalSessionId'>;
export type PersonalAccessTokenId = Id<'PersonalAccessTokenId'>;

export const asPersonalSessionId = (value: string): PersonalSessionId => value as PersonalSessionId;
export const asPersonalAccessTokenId = (value: string): PersonalAccessTokenId =>
  value as PersonalAccessTokenId;

/** Who a personal session belongs to: exactly one of a user or an OAuth 2.0 client. */
export type PersonalSessionOwner =
  | { readonly userId: UserId; readonly clientId?: undefined }
  | { readonly clientId: OAuth2ClientId; readonly userId?: undefined };

export interface PersonalSession {
  readonly id: PersonalSessionId;
  readonly owner: PersonalSessionOwner;
  /** The user the session acts as (the token's `sub`). */
  readonly actorUserId: UserId;
  /** What the session is for, as its owner named it. */
  readonly humanName: string;
  /** Granted scopes, space-separated (may name a Matrix device; may have none). */
  readonly scope: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastActiveAt: Date | null;
  readonly lastActiveIp: string | null;
}

export interface PersonalAccessToken {
  readonly id: PersonalAccessTokenId;
  readonly sessionId: PersonalSessionId;
  readonly tokenHash: string;
  readonly createdAt: Date;
  /** Null: never expires. */
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

/** Limits on what may be stored (a name shows in lists and pages). */
export const MAX_HUMAN_NAME_LENGTH = 255;

export function isPersonalSessionActive(session: PersonalSession): boolean {
  return session.revokedAt === null;
}

export function isPersonalAccessTokenValid(token: PersonalAccessToken, now: Date): boolean {
  return (
    token.revokedAt === null &&
    (token.expiresAt === null || token.expiresAt.getTime() > now.getTime())
  );
}
