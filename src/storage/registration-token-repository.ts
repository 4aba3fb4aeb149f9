// User registration tokens (see model/registration-token.ts).

import type { Clock } from '../clock.ts';
import type {
  UserRegistrationToken,
  UserRegistrationTokenId,
} from '../model/registration-token.ts';
import type { Rng } from '../rng.ts';
import type { Page, Pagination } from './user-repository.ts';

export interface NewUserRegistrationToken {
  readonly token: string;
  /** Null or absent: unlimited. */
  readonly usageLimit?: number | null;
  /** Null or absent: never expires. */
  readonly expiresAt?: Date | null;
}

/** What the Admin API's token list can be narrowed to; each flag as MAS's `filter[…]`. */
export interface UserRegistrationTokenFilter {
  /** Used at least once (true) or never (false). */
  readonly used?: boolean;
  readonly revoked?: boolean;
  /** Past its expiry at `now` (true) or not (false). */
  readonly expired?: boolean;
  /** Usable at `now`: not revoked, not expired, not used up (see `registrationTokenState`). */
  readonly valid?: boolean;
  readonly now: Date;
}

export interface UserRegistrationTokenRepository {
  lookup(id: UserRegistrationTokenId): Promise<UserRegistrationToken | null>;
  /** Exact (case-sensitive) match. */
  findByToken(token: string): Promise<UserRegistrationToken | null>;
  /** Null when a token with the same text already exists; the transaction stays usable. */
  add(
    rng: Rng,
    clock: Clock,
    token: NewUserRegistrationToken,
  ): Promise<UserRegistrationToken | null>;
  /**
   * Uses the token once: increments `timesUsed` and sets `lastUsedAt`, in one UPDATE that only
   * matches while the token is valid at `clock.now()`. Null when it is not (revoked, expired, used
   * up) — also when a concurrent registration took its last use.
   */
  use(clock: Clock, token: UserRegistrationToken): Promise<UserRegistrationToken | null>;
  /** Revokes it (the first revocation time is kept). */
  revoke(clock: Clock, token: UserRegistrationToken): Promise<UserRegistrationToken>;
  unrevoke(token: UserRegistrationToken): Promise<UserRegistrationToken>;
  /** Sets the fields given (null removes the expiry or the limit); the others stay. */
  update(
    token: UserRegistrationToken,
    changes: { readonly expiresAt?: Date | null; readonly usageLimit?: number | null },
  ): Promise<UserRegistrationToken>;
  /** All tokens, oldest first. */
  list(): Promise<UserRegistrationToken[]>;
  /** The tokens matching `filter`, by id (see `Pagination`). */
  listPage(
    filter: UserRegistrationTokenFilter,
    pagination: Pagination<UserRegistrationTokenId>,
  ): Promise<Page<UserRegistrationToken>>;
  count(filter: UserRegistrationTokenFilter): Promise<number>;
}
