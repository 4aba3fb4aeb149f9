// The compatibility layer's repositories (see model/compat-session.ts): sessions, their access and
// refresh tokens (found by SHA-256), and SSO logins. Lookups return null; state changes that race
// (consuming a refresh token, completing or exchanging an SSO login) are compare-and-set and throw
// `StateConflictError` (./state-conflict-error.ts) when another request got there first.

import type { Clock } from '../clock.ts';
import type {
  CompatAccessToken,
  CompatAccessTokenId,
  CompatRefreshToken,
  CompatSession,
  CompatSessionId,
  CompatSsoLogin,
  CompatSsoLoginId,
} from '../model/compat-session.ts';
import type { BrowserSessionId, UserId } from '../model/ids.ts';
import type { Rng } from '../rng.ts';
import type { Page, Pagination } from './user-repository.ts';
import type { SessionListFilter } from './session-list-filter.ts';

export interface NewCompatSession {
  userId: UserId;
  deviceId: string;
  browserSessionId: BrowserSessionId | null;
  isSynapseAdmin: boolean;
  humanName: string | null;
  userAgent: string | null;
}

/** What the Admin API's compat-session list can be narrowed to; both may be combined. */
export interface CompatSessionFilter extends SessionListFilter {
  /** Sessions whose SSO login was completed in this browser session. */
  readonly browserSessionId?: BrowserSessionId;
}

export interface CompatSessionRepository {
  add(rng: Rng, clock: Clock, session: NewCompatSession): Promise<CompatSession>;
  lookup(id: CompatSessionId): Promise<CompatSession | null>;
  /** The user's active sessions holding `deviceId` (normally at most one). */
  listActiveForDevice(userId: UserId, deviceId: string): Promise<CompatSession[]>;
  /** Active sessions of a user, newest first. */
  listActiveForUser(userId: UserId): Promise<CompatSession[]>;
  /**
   * Ends the session and revokes all its tokens. A finished session keeps its first finish time;
   * tokens are revoked even then.
   */
  finish(clock: Clock, session: CompatSession): Promise<CompatSession>;
  /** Renames the session (the account pages); null clears the name. */
  setHumanName(session: CompatSession, humanName: string | null): Promise<CompatSession>;
  /** Records a use: `last_active_at` only moves forward; a null ip keeps the known one. */
  recordActivity(id: CompatSessionId, at: Date, ip: string | null): Promise<void>;
  /**
   * `recordActivity` for many sessions at once (the activity tracker's flush), each with its own
   * time and address; several entries of one session keep the newest.
   */
  recordActivities(
    entries: readonly { id: CompatSessionId; at: Date; ip: string | null }[],
  ): Promise<void>;
  /** Every session matching `filter`, by id (see `Pagination`). */
  list(
    filter: CompatSessionFilter,
    pagination: Pagination<CompatSessionId>,
  ): Promise<Page<CompatSession>>;
  count(filter: CompatSessionFilter): Promise<number>;
}

export interface CompatAccessTokenRepository {
  add(
    rng: Rng,
    clock: Clock,
    session: CompatSession,
    tokenHash: string,
    expiresAt: Date | null,
  ): Promise<CompatAccessToken>;
  lookup(id: CompatAccessTokenId): Promise<CompatAccessToken | null>;
  findByHash(tokenHash: string): Promise<CompatAccessToken | null>;
  /** Revokes the token (keeps an earlier revocation time). */
  revoke(clock: Clock, token: CompatAccessToken): Promise<CompatAccessToken>;
}

export interface CompatRefreshTokenRepository {
  add(
    rng: Rng,
    clock: Clock,
    session: CompatSession,
    tokenHash: string,
    accessToken: CompatAccessToken,
  ): Promise<CompatRefreshToken>;
  findByHash(tokenHash: string): Promise<CompatRefreshToken | null>;
  /** Marks the token consumed; `StateConflictError` when it is already consumed or revoked. */
  consume(clock: Clock, token: CompatRefreshToken): Promise<CompatRefreshToken>;
}

export interface CompatSsoLoginRepository {
  add(rng: Rng, clock: Clock, redirectUri: string): Promise<CompatSsoLogin>;
  lookup(id: CompatSsoLoginId): Promise<CompatSsoLogin | null>;
  findByTokenHash(loginTokenHash: string): Promise<CompatSsoLogin | null>;
  /**
   * Completes the login for a browser session, recording the hash of the `loginToken` handed to
   * the client; `StateConflictError` unless it was pending.
   */
  fulfill(
    clock: Clock,
    login: CompatSsoLogin,
    browserSessionId: BrowserSessionId,
    loginTokenHash: string,
  ): Promise<CompatSsoLogin>;
  /** Records the exchange; `StateConflictError` unless it was fulfilled and not exchanged. */
  exchange(clock: Clock, login: CompatSsoLogin, session: CompatSession): Promise<CompatSsoLogin>;
}
