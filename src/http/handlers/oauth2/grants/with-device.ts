// The token endpoint's device step for grants that create a Matrix device (code, device code):
// create the device on the homeserver, then exchange the grant (src/services/grant-device.ts).
// Homeserver failures become OAuth errors here, in one place:
// - the homeserver could not be reached or timed out, or a sync of the same user held the lease
//   too long → 503 `temporarily_unavailable` (the client may try the same code again);
// - the homeserver answered with an error → 500 `server_error`.
// Nothing was written in either case: no session exists and the code is still unexchanged.
//
// If the exchange itself then fails (a concurrent request used the code first), the device just
// created may belong to no session: a sync-devices job is queued to remove it.

import { HomeserverError } from '../../../../matrix/homeserver-error.ts';
import { OAuthError } from '../../../../oauth2/errors.ts';
import {
  withGrantDevice,
  type GrantDeviceDeps,
  type PendingDevice,
} from '../../../../services/grant-device.ts';
import { UserLockBusyError } from '../../../../services/user-lock.ts';
import { enqueueSyncDevices } from '../../../../storage/matrix-jobs.ts';

export async function exchangeWithDevice<T>(
  deps: GrantDeviceDeps,
  device: PendingDevice,
  exchange: () => Promise<T>,
): Promise<T> {
  let created = false;
  try {
    return await withGrantDevice(deps, device, async () => {
      created = true;
      return exchange();
    });
  } catch (error) {
    if (error instanceof HomeserverError) {
      const unavailable =
        error.kind === 'unreachable' || error.kind === 'timeout' || error.kind === 'aborted';
      throw new OAuthError(
        unavailable ? 'temporarily_unavailable' : 'server_error',
        unavailable
          ? 'the homeserver could not be reached to create the device; try again'
          : 'the homeserver refused to create the device',
        { detail: error.message, cause: error },
      );
    }
    if (error instanceof UserLockBusyError) {
      throw new OAuthError('temporarily_unavailable', 'the account is busy; try again', {
        detail: error.message,
      });
    }
    if (created) {
      await deps.storage
        .transaction((repos) =>
          enqueueSyncDevices(repos.queue, deps.rng, deps.clock, device.userId),
        )
        .catch(() => {});
    }
    throw error;
  }
}
