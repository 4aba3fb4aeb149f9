// Personal sessions and their access tokens (see model/personal-session.ts): one aggregate, one
// repository. Tokens are found by their SHA-256. Lookups return null; a session's lists (Admin
// API, account page) come with the session's current token, the one that is not revoked.

import type { Clock } from '../clock.ts';
import type { OAuth2ClientId, UserId } from '../model/ids.ts';
import type {
  PersonalAccessToken,
  PersonalSession,
  PersonalSessionId,
  PersonalSessionOwner,
} from '../model/personal-session.ts';
import type { Rng } from '../rng.ts';
import type { Page, Pagination } from './user-repository.ts';

export interface NewPersonalSession {
  readonly owner: PersonalSessionOwner;
  readonly actorUserId: UserId;
  readonly humanName: string;
  /** Space-separated; stored sorted and without duplicates. */
  readonly scope: string;
}

/** What the Admin API's list can be narrowed to (MAS `PersonalSessionFilter`); all combine. */
export interface PersonalSessionFilter {
  readonly ownerUserId?: UserId;
  readonly ownerClientId?: OAuth2ClientId;
  readonly actorUserId?: UserId;
  /** Sessions whose scope has every one of these tokens. */
  readonly scope?: readonly string[];
  /** `active`: not revoked; `revoked`: revoked. */
  readonly state?: 'active' | 'revoked';
  /** The current token expires before this time. */
  readonly expiresBefore?: Date;
  /** The current token expires after this time. */
  readonly expiresAfter?: Date;
  /**
   * true: the current token has an expiry; false: it has none, or there is no current token
   * (a revoked session), as MAS's join on the current token answers it.
   */
  readonly expires?: boolean;
}

/** A session with its current (unrevoked) token; null once the session is revoked. */
export interface PersonalSessionWithToken {
  readonly session: PersonalSession;
  readonly token: PersonalAccessToken | null;
}

export interface PersonalSessionRepository {
  add(rng: Rng, clock: Clock, session: NewPersonalSession): Promise<PersonalSession>;
  lookup(id: PersonalSessionId): Promise<PersonalSession | null>;
  /**
   * Revokes the session and every token of it. A revoked session keeps its first revocation time;
   * its tokens are revoked even then.
   */
  revoke(clock: Clock, session: PersonalSession): Promise<PersonalSession>;
  /**
   * Revokes every active session the user acts as or owns (deactivation, MAS `revoke_bulk`);
   * returns how many it revoked.
   */
  revokeAllForUser(clock: Clock, userId: UserId): Promise<number>;
  /** Active sessions acting as the user, newest first (their devices are the user's). */
  listActiveForActor(userId: UserId): Promise<PersonalSession[]>;
  /** Every session matching `filter`, by id, each with its current token. */
  list(
    filter: PersonalSessionFilter,
    pagination: Pagination<PersonalSessionId>,
  ): Promise<Page<PersonalSessionWithToken>>;
  count(filter: PersonalSessionFilter): Promise<number>;
  /**
   * Records activity in batches (the introspection hot path): each entry's time only moves
   * `last_active_at` forward; a null ip keeps the known one.
   */
  recordActivity(
    entries: readonly { id: PersonalSessionId; at: Date; ip: string | null }[],
  ): Promise<void>;

  /**
   * Issues the session's token: revokes its current token, if any, then stores `tokenHash` as
   * the new one (creation and regeneration).
   */
  issueToken(
    rng: Rng,
    clock: Clock,
    session: PersonalSession,
    tokenHash: string,
    expiresAt: Date | null,
  ): Promise<PersonalAccessToken>;
  findTokenByHash(tokenHash: string): Promise<PersonalAccessToken | null>;
  /** The session's unrevoked token (it may have expired), or null. */
  currentToken(sessionId: PersonalSessionId): Promise<PersonalAccessToken | null>;
}
