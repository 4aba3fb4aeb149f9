// OAuth 2.0 sessions (see model/oauth2-session.ts).

import type { Clock } from '../clock.ts';
import type { BrowserSessionId, OAuth2ClientId, OAuth2SessionId, UserId } from '../model/ids.ts';
import type { OAuth2Session } from '../model/oauth2-session.ts';
import type { Rng } from '../rng.ts';
import type { Page, Pagination } from './user-repository.ts';
import type { SessionListFilter } from './session-list-filter.ts';

export interface NewOAuth2Session {
  clientId: OAuth2ClientId;
  userId: UserId | null;
  browserSessionId: BrowserSessionId | null;
  scope: string;
  userAgent: string | null;
  humanName?: string | null;
}

/** What the Admin API's session list can be narrowed to; all may be combined. */
export interface OAuth2SessionFilter extends SessionListFilter {
  readonly clientId?: OAuth2ClientId;
  /** Sessions of any of these clients. */
  readonly clientIds?: readonly OAuth2ClientId[];
  /** Sessions of static (configured) or dynamic (registered) clients. */
  readonly clientKind?: 'static' | 'dynamic';
  /** Sessions authorised from this browser session. */
  readonly browserSessionId?: BrowserSessionId;
  /** Sessions whose scope has every one of these tokens. */
  readonly scopes?: readonly string[];
}

export interface OAuth2SessionRepository {
  add(rng: Rng, clock: Clock, session: NewOAuth2Session): Promise<OAuth2Session>;
  lookup(id: OAuth2SessionId): Promise<OAuth2Session | null>;
  /**
   * Ends the session and revokes all its access and refresh tokens, in the caller's transaction.
   * A finished session keeps its first finish time.
   */
  finish(clock: Clock, session: OAuth2Session): Promise<OAuth2Session>;
  /** Renames the session (the account pages); null clears the name. */
  setHumanName(session: OAuth2Session, humanName: string | null): Promise<OAuth2Session>;
  /**
   * Ends every active session authorised from a browser session (logout) and revokes their tokens;
   * returns how many sessions it ended.
   */
  finishAllForBrowserSession(clock: Clock, browserSessionId: BrowserSessionId): Promise<number>;
  /** Active sessions of a user, newest first. */
  listActiveForUser(userId: UserId): Promise<OAuth2Session[]>;
  /**
   * Active sessions of a user whose scope names the Matrix device `deviceId` (either scope form;
   * exact and case-sensitive), in no particular order: found by index, so it costs the same for a
   * user with thousands of sessions as for one with two.
   */
  listActiveForDevice(userId: UserId, deviceId: string): Promise<OAuth2Session[]>;
  /** Every session matching `filter`, by id (see `Pagination`). */
  list(
    filter: OAuth2SessionFilter,
    pagination: Pagination<OAuth2SessionId>,
  ): Promise<Page<OAuth2Session>>;
  count(filter: OAuth2SessionFilter): Promise<number>;
  /**
   * Records activity for many sessions at once (the introspection hot path batches these).
   * Each entry's time only moves `last_active_at` forward; the entry's ip replaces the known one
   * unless it is null.
   */
  recordActivity(
    entries: readonly { id: OAuth2SessionId; at: Date; ip: string | null }[],
  ): Promise<void>;
}
