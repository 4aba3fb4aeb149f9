// Verified email addresses of users (see model/user-email.ts). Lookups by address are
// case-insensitive; an address is stored as typed.

import type { Clock } from '../clock.ts';
import type { UserId } from '../model/ids.ts';
import type { User } from '../model/user.ts';
import type { UserEmail, UserEmailId } from '../model/user-email.ts';
import type { Rng } from '../rng.ts';
import type { Page, Pagination } from './user-repository.ts';

/** What the Admin API's address list can be narrowed to; both may be combined. */
export interface UserEmailFilter {
  readonly userId?: UserId;
  /** Matched in any case. */
  readonly email?: string;
}

export interface UserEmailRepository {
  lookup(id: UserEmailId): Promise<UserEmail | null>;
  /** The user's addresses, oldest first. */
  listForUser(user: User): Promise<UserEmail[]>;
  countForUser(user: User): Promise<number>;
  /** The user's own row for `email` (any case), or null. */
  findForUser(user: User, email: string): Promise<UserEmail | null>;
  /** Every account's row for `email` (any case), oldest first: recovery and login by email. */
  listByEmail(email: string): Promise<UserEmail[]>;
  /**
   * Records a verified address for the user. When the user already has it (in any case) the
   * existing row is returned unchanged.
   */
  add(rng: Rng, clock: Clock, user: User, email: string): Promise<UserEmail>;
  /** Every account's addresses matching `filter`, by id (see `Pagination`). */
  list(filter: UserEmailFilter, pagination: Pagination<UserEmailId>): Promise<Page<UserEmail>>;
  count(filter: UserEmailFilter): Promise<number>;
  /** Deletes the row; false when it was already gone. */
  remove(email: UserEmail): Promise<boolean>;
  /** Deletes every address of the user (deactivation); returns how many. */
  removeAllForUser(user: User): Promise<number>;
}
