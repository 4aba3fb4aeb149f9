// `sync-devices` (MAS `SyncDevicesJob`): makes the user's devices on the homeserver exactly the
// devices of their active sessions (OAuth 2.0 sessions with a device scope, compatibility
// sessions), creating missing ones and deleting the rest. Queued whenever a session ends
// (revocation, logout, admin, kill-sessions), after provisioning, and when a token exchange failed
// after creating its device.
//
// Runs under the user's lease (services/user-lock.ts), which the token endpoint also takes while
// it creates a device and commits the session: the device list read here can never miss a device
// being created at the same time. The lease is a row, not a transaction: the homeserver call runs
// outside any transaction. A lease held elsewhere for too long fails the job, which is retried.
//
// Idempotent: the homeserver call sets the whole list.

import type { HomeserverConnection } from '../../matrix/homeserver-connection.ts';
import { isUserDeactivated } from '../../model/user.ts';
import { withUserLock } from '../../services/user-lock.ts';
import { activeDeviceIds } from '../../services/user-sessions.ts';
import { SYNC_DEVICES_QUEUE } from '../../storage/matrix-jobs.ts';
import type { ExternalJob } from '../queue.ts';
import { homeserverJob, payloadUserId } from './homeserver-job.ts';

export { SYNC_DEVICES_QUEUE };

/** How long the job waits for a login of the same user to finish creating its device. */
const LOCK_WAIT_MS = 15_000;

export function syncDevicesJob(homeserver: HomeserverConnection | null): ExternalJob {
  return homeserverJob(homeserver, async (homeserver, payload, ctx) => {
    const userId = payloadUserId(payload, ctx);
    if (userId === null) return;
    await withUserLock(ctx, userId, { waitMs: LOCK_WAIT_MS }, async () => {
      const loaded = await ctx.storage.transaction(async (repos) => {
        const user = await repos.users.lookup(userId);
        if (user === null) return null;
        return { user, devices: await activeDeviceIds(repos, user.id) };
      });
      if (loaded === null) {
        ctx.log('warn', 'sync-devices: unknown user, nothing to do', { userId });
        return;
      }
      // Deactivation already removed every device on the homeserver.
      if (isUserDeactivated(loaded.user)) return;
      await homeserver.syncDevices(loaded.user.username, loaded.devices);
      ctx.log('info', 'devices synced to the homeserver', {
        userId,
        devices: loaded.devices.size,
      });
    });
  });
}
