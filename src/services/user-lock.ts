// Runs work that changes a user's devices on the homeserver under the user's lease
// (storage/user-lock-repository.ts), so a device reconciliation (`sync-devices`) and a login
// creating a device never interleave — on any worker or server process, SQLite or PostgreSQL.
//
// Why a lease row rather than a database lock: the work is a network call, and a transaction must
// never be held across one (SQLite has one connection per process). The lease is taken and given
// back in two short transactions of their own, and expires by itself if the process dies.
//
// The race it closes: sync-devices reads the sessions, a login then creates device D on the
// homeserver and commits its session, and sync-devices sends a device list without D — deleting
// the device of a session that was just created.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.ts';
import type { UserId } from '../model/ids.ts';
import { newUlid, type Rng } from '../rng.ts';
import type { Storage } from '../storage/storage.ts';

/** Longer than a homeserver call may take (10 s timeout) with room for the transactions around it. */
export const USER_LOCK_TTL_MS = 30_000;
const RETRY_EVERY_MS = 50;

export class UserLockBusyError extends Error {
  override readonly name = 'UserLockBusyError';
  constructor(userId: UserId) {
    super(`another process is changing the devices of user ${userId}; try again shortly`);
  }
}

export interface UserLockOptions {
  /** How long to wait for the lease before giving up with `UserLockBusyError`. */
  readonly waitMs: number;
  readonly ttlMs?: number;
}

/**
 * Runs `work` holding the user's lease. Waits up to `waitMs` for it; the lease is released
 * however `work` ends.
 */
export async function withUserLock<T>(
  deps: { readonly storage: Storage; readonly clock: Clock; readonly rng: Rng },
  userId: UserId,
  options: UserLockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const holder = newUlid(deps.clock, deps.rng);
  const ttl = options.ttlMs ?? USER_LOCK_TTL_MS;
  let waited = 0;
  for (;;) {
    const taken = await deps.storage.transaction((repos) =>
      repos.userLocks.tryAcquire(deps.clock, userId, holder, ttl),
    );
    if (taken) break;
    if (waited >= options.waitMs) throw new UserLockBusyError(userId);
    await sleep(RETRY_EVERY_MS);
    waited += RETRY_EVERY_MS;
  }
  try {
    return await work();
  } finally {
    await deps.storage
      .transaction((repos) => repos.userLocks.release(userId, holder))
      .catch(() => {
        // The lease expires by itself; a failed release only delays the next holder.
      });
  }
}
