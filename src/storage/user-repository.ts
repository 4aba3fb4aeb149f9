// Users: lookups by id and username, the lock / deactivate / admin flags, and the filtered,
// cursor-paginated list the admin API serves (MAS: `page[first|last]`, `page[after|before]`).
//
// Duplicate usernames: `add` returns null when the username is taken (also when another
// transaction takes it concurrently). It never throws for that and leaves the transaction usable,
// so a caller can report "username taken" and carry on.

import type { Clock } from '../clock.ts';
import type { OAuth2ClientId, UserId } from '../model/ids.ts';
import type { User, UserState } from '../model/user.ts';
import type { Rng } from '../rng.ts';

/**
 * Cursor pagination over items ordered by id (ULIDs, so oldest first). Exactly one of `first`
 * (the first N after `after`) or `last` (the last N before `before`); `after` and `before` may be
 * combined with either to bound the window. The cursors are item ids and need not exist.
 *
 * Shared by every paginated list; it lives here until a second repository needs it.
 */
export type Pagination<Cursor extends string = string> =
  | {
      readonly first: number;
      readonly last?: undefined;
      readonly after?: Cursor;
      readonly before?: Cursor;
    }
  | {
      readonly last: number;
      readonly first?: undefined;
      readonly after?: Cursor;
      readonly before?: Cursor;
    };

export interface Page<T> {
  /** In ascending id order, whichever direction was asked for. */
  readonly items: T[];
  /** More items after the last one of this page (within `before`, if given). */
  readonly hasNextPage: boolean;
  /** More items before the first one of this page (within `after`, if given). */
  readonly hasPreviousPage: boolean;
}

export interface UserFilter {
  readonly state?: UserState;
  readonly canRequestAdmin?: boolean;
  /** Case-insensitive substring of the username (taken literally). */
  readonly search?: string;
  /** MAS's guest flag: Gatehouse has no guest accounts, so `true` matches nobody. */
  readonly legacyGuest?: boolean;
  /** Users with an active OAuth 2.0 session of any of these clients. */
  readonly activeOAuth2ClientIds?: readonly OAuth2ClientId[];
  /** Users with (true) or without (false) an active OAuth 2.0 session. */
  readonly hasActiveOAuth2Session?: boolean;
  /** Users with (true) or without (false) an active compatibility session. */
  readonly hasActiveCompatSession?: boolean;
}

export interface UserRepository {
  lookup(id: UserId): Promise<User | null>;
  /** Exact match on the localpart. */
  findByUsername(username: string): Promise<User | null>;
  exists(username: string): Promise<boolean>;
  /** A new active user without admin rights; null when `username` is taken. */
  add(rng: Rng, clock: Clock, username: string): Promise<User | null>;
  /** Sets `lockedAt` unless already locked (the first lock time is kept). */
  lock(clock: Clock, user: User): Promise<User>;
  unlock(user: User): Promise<User>;
  /** Sets `deactivatedAt` unless already deactivated. Does not lock or end sessions by itself. */
  deactivate(clock: Clock, user: User): Promise<User>;
  reactivate(user: User): Promise<User>;
  setCanRequestAdmin(user: User, canRequestAdmin: boolean): Promise<User>;
  list(filter: UserFilter, pagination: Pagination<UserId>): Promise<Page<User>>;
  count(filter: UserFilter): Promise<number>;
}
