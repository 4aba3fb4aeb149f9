// An OAuth 2.0 session: what a client holds on behalf of a user (or of itself, for
// client_credentials). Tokens belong to a session; ending the session revokes them all.

import type { BrowserSessionId, OAuth2ClientId, OAuth2SessionId, UserId } from './ids.ts';

export interface OAuth2Session {
  readonly id: OAuth2SessionId;
  readonly clientId: OAuth2ClientId;
  /** Null for client_credentials sessions. */
  readonly userId: UserId | null;
  /** The browser session that authorised it, if any. */
  readonly browserSessionId: BrowserSessionId | null;
  /** Granted scopes, space-separated. */
  readonly scope: string;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
  readonly userAgent: string | null;
  readonly lastActiveAt: Date | null;
  readonly lastActiveIp: string | null;
  readonly humanName: string | null;
}

export function isSessionActive(session: OAuth2Session): boolean {
  return session.finishedAt === null;
}
