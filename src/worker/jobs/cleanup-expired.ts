// `cleanup-expired`: hard-deletes what the retention rules no longer keep (MAS
// `docs/topics/data-retention.md`): browser sessions and queue jobs (completed, failed or lost)
// that finished more than 30 days ago.

import type { JobHandler } from '../queue.ts';

export const CLEANUP_EXPIRED_QUEUE = 'cleanup-expired';

/** Hourly, at minute 55 (MAS cleans its queue jobs then). */
export const CLEANUP_EXPIRED_CRON = '0 55 * * * *';

const DAY_MS = 24 * 60 * 60 * 1000;
export const FINISHED_JOB_RETENTION_MS = 30 * DAY_MS;
export const FINISHED_SESSION_RETENTION_MS = 30 * DAY_MS;

export const cleanupExpired: JobHandler = async (_payload, { repos, clock, log }) => {
  const now = clock.now().getTime();
  const jobs = await repos.queue.deleteFinishedBefore(new Date(now - FINISHED_JOB_RETENTION_MS));
  const sessions = await repos.browserSessions.deleteFinishedBefore(
    new Date(now - FINISHED_SESSION_RETENTION_MS),
  );
  log('info', 'deleted expired rows', { queueJobs: jobs, browserSessions: sessions });
};
