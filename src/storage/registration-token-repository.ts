// User registration tokens (see model/registration-token.ts).

import type { Clock } from '../clock.ts';
import type {
  UserRegistrationToken,
  UserRegistrationTokenId,
} from '../model/registration-token.ts';
import type { Rng } from '../rng.ts';

export interface NewUserRegistrationToken {
  readonly token: string;
  /** Null or absent: unlimited. */
  readonly usageLimit?: number | null;
  /** Null or absent: never expires. */
  readonly expiresAt?: Date | null;
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
  /** All tokens, oldest first. */
  list(): Promise<UserRegistrationToken[]>;
}
