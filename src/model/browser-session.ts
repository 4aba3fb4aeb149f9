// A browser session (MAS: `user_sessions`): a user signed in to Gatehouse's own pages through a
// cookie. It lives until it is finished (logout, admin, deactivation, expiry); a finished session
// never comes back.

import type { BrowserSessionId, UserId } from './ids.ts';

export interface BrowserSession {
  readonly id: BrowserSessionId;
  readonly userId: UserId;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
  readonly userAgent: string | null;
  /** Last time a request came with this session, and from where; null until the first one. */
  readonly lastActiveAt: Date | null;
  readonly lastActiveIp: string | null;
}

export function isActive(session: BrowserSession): boolean {
  return session.finishedAt === null;
}

export function isFinished(session: BrowserSession): boolean {
  return session.finishedAt !== null;
}
