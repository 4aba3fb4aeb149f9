// `provision-user` (MAS `ProvisionUserJob`): creates or updates the user on the homeserver —
// localpart, display name (when the job carries one, e.g. at registration), email addresses and
// lock state — then queues `sync-devices` so the homeserver's devices match the user's sessions.
// Queued on registration and on every change the homeserver must know (lock, unlock, emails).
//
// Idempotent: `provision_user` is an upsert. A deactivated user is not provisioned (that would
// recreate them); `reactivate-user` provisions them again.

import { isUserDeactivated, isUserLocked } from '../../model/user.ts';
import type { HomeserverConnection } from '../../matrix/homeserver-connection.ts';
import { enqueueSyncDevices, PROVISION_USER_QUEUE } from '../../storage/matrix-jobs.ts';
import type { ExternalJob } from '../queue.ts';
import { homeserverJob, payloadUserId } from './homeserver-job.ts';

export { PROVISION_USER_QUEUE };

export function provisionUserJob(homeserver: HomeserverConnection | null): ExternalJob {
  return homeserverJob(homeserver, async (homeserver, payload, ctx) => {
    const userId = payloadUserId(payload, ctx);
    if (userId === null) return;
    const loaded = await ctx.storage.transaction(async (repos) => {
      const user = await repos.users.lookup(userId);
      if (user === null) return null;
      const emails = (await repos.userEmails.listForUser(user)).map((email) => email.email);
      return { user, emails };
    });
    if (loaded === null) {
      ctx.log('warn', 'provision-user: unknown user, nothing to do', { userId });
      return;
    }
    const { user, emails } = loaded;
    if (isUserDeactivated(user)) {
      ctx.log('info', 'provision-user: the user is deactivated, not provisioned', { userId });
      return;
    }
    const displayName = typeof payload.displayName === 'string' ? payload.displayName : undefined;
    const created = await homeserver.provisionUser({
      localpart: user.username,
      subject: user.id,
      locked: isUserLocked(user),
      ...(displayName === undefined ? {} : { displayName }),
      emails,
    });
    ctx.log('info', created ? 'user created on the homeserver' : 'user updated on the homeserver', {
      userId,
      mxid: homeserver.mxid(user.username),
    });
    await ctx.storage.transaction((repos) =>
      enqueueSyncDevices(repos.queue, ctx.rng, ctx.clock, user.id),
    );
  });
}
