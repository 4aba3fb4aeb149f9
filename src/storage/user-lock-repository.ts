// Per-user leases (table `user_locks`): at most one holder per user at a time, across processes.
// Used to serialise the work that changes a user's devices on the homeserver (see
// services/user-lock.ts). Each call is one statement: take a lease in a short transaction of its
// own, do the outside work, release it in another — never hold a transaction across the work.

import type { Clock } from '../clock.ts';
import type { UserId } from '../model/ids.ts';

export interface UserLockRepository {
  /**
   * Takes the user's lease for `holder` until now + `ttlMs`, or renews it when `holder` has it.
   * False while someone else holds an unexpired lease.
   */
  tryAcquire(clock: Clock, userId: UserId, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` still has it. */
  release(userId: UserId, holder: string): Promise<void>;
}
