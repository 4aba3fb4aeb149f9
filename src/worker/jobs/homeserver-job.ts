// What the homeserver jobs share: how they get the homeserver connection, and reading their
// payload. The connection is given once, when the worker starts (`homeserverJobs` in ./index.ts
// closes over it), so `JobContext` stays free of anything only these jobs need.
//
// Without a homeserver (no `matrix` section) every homeserver job completes at once doing nothing:
// jobs queued before the section was removed do not pile up as failures.

import type { HomeserverConnection } from '../../matrix/homeserver-connection.ts';
import { asUserId, type UserId } from '../../model/ids.ts';
import type { JobPayload } from '../../model/queue-job.ts';
import type { ExternalJob, ExternalJobContext } from '../queue.ts';

/** Builds an external job that needs the homeserver; a no-op without one. */
export function homeserverJob(
  homeserver: HomeserverConnection | null,
  run: (
    homeserver: HomeserverConnection,
    payload: JobPayload,
    ctx: ExternalJobContext,
  ) => Promise<void>,
): ExternalJob {
  return {
    external: true,
    async run(payload, ctx) {
      if (homeserver === null) {
        ctx.log('info', 'no homeserver is configured: nothing to do', { job: ctx.job.queueName });
        return;
      }
      await run(homeserver, payload, ctx);
    },
  };
}

/**
 * The payload's `userId`, or null (logged) when it has none: such a job can never succeed, so it
 * completes instead of being retried.
 */
export function payloadUserId(payload: JobPayload, ctx: ExternalJobContext): UserId | null {
  const userId = payload.userId;
  if (typeof userId !== 'string' || userId === '') {
    ctx.log('error', 'the job payload has no userId: dropped', { job: ctx.job.id });
    return null;
  }
  return asUserId(userId);
}
