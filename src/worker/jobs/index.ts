// Every job Gatehouse runs, by queue name, and the cron schedules that enqueue them.
//
// To add a job:
//   1. write `jobs/<name>.ts` exporting its queue name (kebab-case, as MAS names it when MAS has
//      the same job), a `JobHandler`, and, for a recurring job, its six-field cron expression;
//   2. the handler validates its payload, uses only `ctx.repos` (its own transaction: its changes
//      and its completion commit together) and throws to fail, which retries it with back-off;
//      a job that calls something outside the database (homeserver, mail) is an `ExternalJob`
//      instead: it runs outside any transaction and opens short ones through `ctx.storage`;
//   3. add it to `jobRegistry` below, and to `jobSchedules` if it recurs;
//   4. code that wants it run calls `repos.queue.enqueue(rng, clock, QUEUE_NAME, payload)` in its
//      own transaction, so the job exists only if that transaction commits;
//   5. test it in test/worker/jobs/<name>.test.ts by running the handler through a real `Worker`.

import type { HomeserverConnection } from '../../matrix/homeserver-connection.ts';
import type { JobRegistry, ScheduleDefinition } from '../queue.ts';
import { CLEANUP_EXPIRED_CRON, CLEANUP_EXPIRED_QUEUE, cleanupExpired } from './cleanup-expired.ts';
import { DEACTIVATE_USER_QUEUE, deactivateUserJob } from './deactivate-user.ts';
import { PROVISION_USER_QUEUE, provisionUserJob } from './provision-user.ts';
import { REACTIVATE_USER_QUEUE, reactivateUserJob } from './reactivate-user.ts';
import { SYNC_DEVICES_QUEUE, syncDevicesJob } from './sync-devices.ts';
import {
  SEND_ACCOUNT_RECOVERY_EMAIL,
  sendAccountRecoveryEmail,
} from './send-account-recovery-email.ts';
import {
  SEND_EMAIL_AUTHENTICATION_CODE,
  sendEmailAuthenticationCode,
} from './send-email-authentication-code.ts';

export const jobRegistry: JobRegistry = {
  [CLEANUP_EXPIRED_QUEUE]: cleanupExpired,
  [SEND_EMAIL_AUTHENTICATION_CODE]: sendEmailAuthenticationCode,
  [SEND_ACCOUNT_RECOVERY_EMAIL]: sendAccountRecoveryEmail,
};

/**
 * The jobs that talk to the homeserver, closing over its connection (null without a `matrix`
 * section). The worker registers them next to `jobRegistry` (`jobRegistryWith`).
 */
export function homeserverJobs(homeserver: HomeserverConnection | null): JobRegistry {
  return {
    [PROVISION_USER_QUEUE]: provisionUserJob(homeserver),
    [SYNC_DEVICES_QUEUE]: syncDevicesJob(homeserver),
    [DEACTIVATE_USER_QUEUE]: deactivateUserJob(homeserver),
    [REACTIVATE_USER_QUEUE]: reactivateUserJob(homeserver),
  };
}

/** Every job, with the outside connections the worker was started with. */
export function jobRegistryWith(deps: {
  readonly homeserver: HomeserverConnection | null;
}): JobRegistry {
  return { ...jobRegistry, ...homeserverJobs(deps.homeserver) };
}

export const jobSchedules: readonly ScheduleDefinition[] = [
  { cron: CLEANUP_EXPIRED_CRON, queueName: CLEANUP_EXPIRED_QUEUE },
];
