// Browser sessions: started at login, finished at logout (or by an admin, or on deactivation),
// with the last activity recorded for the session list.

import type { Clock } from '../clock.ts';
import type {
  AuthenticationMethod,
  BrowserAuthentication,
} from '../model/browser-authentication.ts';
import type { BrowserSession } from '../model/browser-session.ts';
import type { BrowserSessionId } from '../model/ids.ts';
import type { User } from '../model/user.ts';
import type { UserPassword } from '../model/user-password.ts';
import type { Rng } from '../rng.ts';
import type { Page, Pagination } from './user-repository.ts';
import type { SessionListFilter } from './session-list-filter.ts';

/** What the Admin API's browser-session list can be narrowed to; both may be combined. */
export type BrowserSessionFilter = SessionListFilter;

export interface BrowserSessionRepository {
  lookup(id: BrowserSessionId): Promise<BrowserSession | null>;
  add(rng: Rng, clock: Clock, user: User, userAgent?: string | null): Promise<BrowserSession>;
  /** Finishes the session unless it already is (the first finish time is kept). */
  finish(clock: Clock, session: BrowserSession): Promise<BrowserSession>;
  /** Finishes every active session of the user; returns how many it finished. */
  finishAllForUser(clock: Clock, user: User): Promise<number>;
  /** The user's unfinished sessions, oldest first. */
  listActiveForUser(user: User): Promise<BrowserSession[]>;
  /** Records a request made with the session at `clock.now()` from `ip` (null when unknown). */
  recordActivity(session: BrowserSession, clock: Clock, ip: string | null): Promise<void>;
  /** Unfinished sessions, of one user or of everyone. */
  countActive(user?: User): Promise<number>;
  /** Every session matching `filter`, by id (see `Pagination`). */
  list(
    filter: BrowserSessionFilter,
    pagination: Pagination<BrowserSessionId>,
  ): Promise<Page<BrowserSession>>;
  count(filter: BrowserSessionFilter): Promise<number>;
  /** Records a successful authentication (login) in the session. */
  authenticate(
    rng: Rng,
    clock: Clock,
    session: BrowserSession,
    method: AuthenticationMethod,
    userPassword: UserPassword | null,
  ): Promise<BrowserAuthentication>;
  /** The newest authentication of the session (gives `auth_time`), or null. */
  lastAuthentication(session: BrowserSession): Promise<BrowserAuthentication | null>;
  /** Deletes sessions finished before `before` (retention); returns how many. */
  deleteFinishedBefore(before: Date): Promise<number>;
}
