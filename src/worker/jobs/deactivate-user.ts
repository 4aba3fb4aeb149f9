// `deactivate-user` (MAS `DeactivateUserJob`): closes the account here — marks it deactivated
// (and locked, so every check that looks at either refuses it), ends every browser, OAuth 2.0 and
// compatibility session, forgets the email addresses — then deactivates it on the homeserver
// (`delete_user`, which deletes all its devices and access tokens there; with `erase`, its data
// too).
//
// The local part commits first, in one transaction; the homeserver call follows outside it and
// is retried until it succeeds (without a homeserver, only the local part runs). Idempotent: every
// step leaves a done step as it is.

import type { HomeserverConnection } from '../../matrix/homeserver-connection.ts';
import { endAllSessions } from '../../services/user-sessions.ts';
import { DEACTIVATE_USER_QUEUE } from '../../storage/matrix-jobs.ts';
import type { ExternalJob } from '../queue.ts';
import { payloadUserId } from './homeserver-job.ts';

export { DEACTIVATE_USER_QUEUE };

export function deactivateUserJob(homeserver: HomeserverConnection | null): ExternalJob {
  return {
    external: true,
    async run(payload, ctx) {
      const userId = payloadUserId(payload, ctx);
      if (userId === null) return;
      const user = await ctx.storage.transaction(async (repos) => {
        let user = await repos.users.lookup(userId);
        if (user === null) return null;
        user = await repos.users.lock(ctx.clock, user);
        user = await repos.users.deactivate(ctx.clock, user);
        const ended = await endAllSessions(repos, ctx.clock, user);
        // Personal access tokens acting as or owned by the user (MAS revokes both).
        const personal = await repos.personalSessions.revokeAllForUser(ctx.clock, user.id);
        await repos.userEmails.removeAllForUser(user);
        ctx.log('info', 'user deactivated', { userId, ...ended, personal });
        return user;
      });
      if (user === null) {
        ctx.log('warn', 'deactivate-user: unknown user, nothing to do', { userId });
        return;
      }
      if (homeserver === null) return;
      await homeserver.deleteUser(user.username, payload.erase === true);
      ctx.log('info', 'user deactivated on the homeserver', {
        userId,
        mxid: homeserver.mxid(user.username),
        erase: payload.erase === true,
      });
    },
  };
}
