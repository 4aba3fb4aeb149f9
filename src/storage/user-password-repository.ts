// Password hashes of users. Append-only: the newest row is the active password.

import type { Clock } from '../clock.ts';
import type { User } from '../model/user.ts';
import type { UserPassword } from '../model/user-password.ts';
import type { Rng } from '../rng.ts';

export interface UserPasswordRepository {
  /** The user's newest password, or null when they have none. */
  active(user: User): Promise<UserPassword | null>;
  /**
   * Records a new hash, which becomes the active one. `upgradedFrom` is the row it re-hashes when
   * a login upgrades the hash to a newer scheme.
   */
  add(
    rng: Rng,
    clock: Clock,
    user: User,
    version: number,
    hashedPassword: string,
    upgradedFrom?: UserPassword | null,
  ): Promise<UserPassword>;
}
