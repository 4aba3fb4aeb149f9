// `reactivate-user` (MAS `ReactivateUserJob`): reactivates the account here, then on the
// homeserver (`reactivate_user`), then queues `provision-user` so the homeserver learns the
// account's current state (its lock, its emails). Unlocking is a separate decision
// (`manage unlock-user`). Without a homeserver, only the local part runs. Idempotent.

import type { HomeserverConnection } from '../../matrix/homeserver-connection.ts';
import { enqueueProvisionUser, REACTIVATE_USER_QUEUE } from '../../storage/matrix-jobs.ts';
import type { ExternalJob } from '../queue.ts';
import { payloadUserId } from './homeserver-job.ts';

export { REACTIVATE_USER_QUEUE };

export function reactivateUserJob(homeserver: HomeserverConnection | null): ExternalJob {
  return {
    external: true,
    async run(payload, ctx) {
      const userId = payloadUserId(payload, ctx);
      if (userId === null) return;
      const user = await ctx.storage.transaction(async (repos) => {
        const user = await repos.users.lookup(userId);
        return user === null ? null : repos.users.reactivate(user);
      });
      if (user === null) {
        ctx.log('warn', 'reactivate-user: unknown user, nothing to do', { userId });
        return;
      }
      if (homeserver === null) return;
      await homeserver.reactivateUser(user.username);
      await ctx.storage.transaction((repos) =>
        enqueueProvisionUser(repos.queue, ctx.rng, ctx.clock, user.id),
      );
      ctx.log('info', 'user reactivated on the homeserver', {
        userId,
        mxid: homeserver.mxid(user.username),
      });
    },
  };
}
