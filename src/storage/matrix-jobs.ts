// The homeserver jobs, as the rest of Gatehouse enqueues them (MAS keeps its job structs in the
// storage crate for the same reason: the HTTP layer and the CLI schedule jobs that the worker
// layer runs, and none of them imports another). The handlers are in worker/jobs/ under the same
// queue names.
//
// Enqueue inside the transaction that makes the change, so the job exists exactly when the change
// does. Every job is idempotent: enqueueing one twice is harmless.

import type { Clock } from '../clock.ts';
import type { UserId } from '../model/ids.ts';
import type { QueueJob } from '../model/queue-job.ts';
import type { Rng } from '../rng.ts';
import type { QueueRepository } from './queue-repository.ts';

export const PROVISION_USER_QUEUE = 'provision-user';
export const SYNC_DEVICES_QUEUE = 'sync-devices';
export const DEACTIVATE_USER_QUEUE = 'deactivate-user';
export const REACTIVATE_USER_QUEUE = 'reactivate-user';

export type ProvisionUserPayload = {
  readonly userId: string;
  /** A display name to set (registration); the user's others fields are read at run time. */
  readonly displayName?: string;
};
export type SyncDevicesPayload = { readonly userId: string };
export type DeactivateUserPayload = {
  readonly userId: string;
  /** Also erase the user's data on the homeserver (GDPR erasure). */
  readonly erase: boolean;
};
export type ReactivateUserPayload = { readonly userId: string };

/** Pushes the user (profile, emails, lock state) to the homeserver, then syncs their devices. */
export function enqueueProvisionUser(
  queue: QueueRepository,
  rng: Rng,
  clock: Clock,
  userId: UserId,
  displayName?: string,
): Promise<QueueJob> {
  const payload: ProvisionUserPayload =
    displayName === undefined ? { userId } : { userId, displayName };
  return queue.enqueue(rng, clock, PROVISION_USER_QUEUE, payload);
}

/** Makes the homeserver's devices of the user match their active sessions. */
export function enqueueSyncDevices(
  queue: QueueRepository,
  rng: Rng,
  clock: Clock,
  userId: UserId,
): Promise<QueueJob> {
  return queue.enqueue(rng, clock, SYNC_DEVICES_QUEUE, { userId } satisfies SyncDevicesPayload);
}

/** Ends everything the user has here and deactivates them on the homeserver. */
export function enqueueDeactivateUser(
  queue: QueueRepository,
  rng: Rng,
  clock: Clock,
  userId: UserId,
  erase: boolean,
): Promise<QueueJob> {
  return queue.enqueue(rng, clock, DEACTIVATE_USER_QUEUE, {
    userId,
    erase,
  } satisfies DeactivateUserPayload);
}

/** Reactivates the user here and on the homeserver. */
export function enqueueReactivateUser(
  queue: QueueRepository,
  rng: Rng,
  clock: Clock,
  userId: UserId,
): Promise<QueueJob> {
  return queue.enqueue(rng, clock, REACTIVATE_USER_QUEUE, {
    userId,
  } satisfies ReactivateUserPayload);
}
