// Creating the Matrix device of a new session on the homeserver, synchronously, before the token
// endpoint answers (MAS `oauth2/token.rs`: Synapse rejects a token whose device it does not know).
//
// The device is created BEFORE the session: the token endpoint checks the grant, creates the
// device outside any transaction (a network call must not hold the database), then exchanges the
// grant in its transaction. If the homeserver fails, nothing was written: the client gets an
// error, no session exists, and the code can be tried again. Both steps run under the user's
// lease (./user-lock.ts) so a concurrent sync-devices cannot delete the new device in between.

import type { Clock } from '../clock.ts';
import type { HomeserverConnection } from '../matrix/homeserver-connection.ts';
import { deviceDisplayName } from '../matrix/device-name.ts';
import type { UserId } from '../model/ids.ts';
import type { OAuth2Client } from '../model/oauth2-client.ts';
import type { User } from '../model/user.ts';
import { deviceIdOfScope, hasMatrixApiScope } from '../oauth2/matrix-scopes.ts';
import type { Rng } from '../rng.ts';
import type { Storage } from '../storage/storage.ts';
import { withUserLock } from './user-lock.ts';

/** How long a token request waits for a running sync-devices of the same user. */
const LOCK_WAIT_MS = 5_000;

/** A device a grant would create, found before the grant is exchanged. */
export interface PendingDevice {
  readonly userId: UserId;
  readonly localpart: string;
  readonly deviceId: string;
  readonly displayName: string;
}

/** The device of a grant's scope, or null when the scope has none (or no API access). */
export function pendingDevice(
  user: User,
  scope: string,
  client: OAuth2Client,
  userAgent: string | null,
): PendingDevice | null {
  if (!hasMatrixApiScope(scope)) return null;
  const deviceId = deviceIdOfScope(scope);
  if (deviceId === null) return null;
  return {
    userId: user.id,
    localpart: user.username,
    deviceId,
    displayName: deviceDisplayName(client.clientName ?? client.id, userAgent),
  };
}

export interface GrantDeviceDeps {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly homeserver: HomeserverConnection;
}

/**
 * Creates `device` on the homeserver, then runs `exchange` (the grant's own transaction), both
 * under the user's lease. Throws `HomeserverError` when the homeserver fails (then `exchange` never
 * runs) and `UserLockBusyError` when the lease stays taken.
 */
export async function withGrantDevice<T>(
  deps: GrantDeviceDeps,
  device: PendingDevice,
  exchange: () => Promise<T>,
): Promise<T> {
  return withUserLock(deps, device.userId, { waitMs: LOCK_WAIT_MS }, async () => {
    await deps.homeserver.upsertDevice(device.localpart, device.deviceId, device.displayName);
    return exchange();
  });
}
