// `cleanup-expired`: hard-deletes what the retention rules no longer keep (MAS
// `docs/topics/data-retention.md`):
//   finished browser sessions, finished queue jobs, revoked or expired access tokens,
//   user registrations                                                        after 30 days
//   authorization and device grants, email authentications, recovery sessions,
//   upstream authorization sessions never consumed (abandoned sign-ins)       after 7 days
//   consumed or revoked refresh tokens                                         after 1 hour
//   client-assertion jtis                                                      once expired

import type { JobHandler } from '../queue.ts';

export const CLEANUP_EXPIRED_QUEUE = 'cleanup-expired';

/** Hourly, at minute 55 (MAS cleans its queue jobs then). */
export const CLEANUP_EXPIRED_CRON = '0 55 * * * *';

const DAY_MS = 24 * 60 * 60 * 1000;
export const FINISHED_JOB_RETENTION_MS = 30 * DAY_MS;
export const FINISHED_SESSION_RETENTION_MS = 30 * DAY_MS;
const HOUR_MS = 60 * 60 * 1000;

export const cleanupExpired: JobHandler = async (_payload, { repos, clock, log }) => {
  const now = clock.now().getTime();
  const jobs = await repos.queue.deleteFinishedBefore(new Date(now - FINISHED_JOB_RETENTION_MS));
  const sessions = await repos.browserSessions.deleteFinishedBefore(
    new Date(now - FINISHED_SESSION_RETENTION_MS),
  );
  const ago = (ms: number) => new Date(now - ms);
  const deleted = {
    queueJobs: jobs,
    browserSessions: sessions,
    accessTokens: await repos.accessTokens.deleteRevokedOrExpiredBefore(ago(30 * DAY_MS)),
    refreshTokens: await repos.refreshTokens.deleteRevokedOrConsumedBefore(ago(HOUR_MS)),
    authorizationGrants: await repos.authorizationGrants.deleteCreatedBefore(ago(7 * DAY_MS)),
    deviceCodeGrants: await repos.deviceCodeGrants.deleteExpiredBefore(ago(7 * DAY_MS)),
    clientAssertions: await repos.clientAssertions.deleteExpiredBefore(ago(0)),
    userRegistrations: await repos.userRegistrations.deleteCreatedBefore(ago(30 * DAY_MS)),
    emailAuthentications: await repos.emailAuthentications.deleteCreatedBefore(ago(7 * DAY_MS)),
    recoverySessions: await repos.recovery.deleteCreatedBefore(ago(7 * DAY_MS)),
    upstreamSessions: await repos.upstreamOAuthSessions.deleteAbandoned(ago(7 * DAY_MS)),
  };
  log('info', 'deleted expired rows', deleted);
};
