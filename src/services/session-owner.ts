// Who a token speaks for: its OAuth 2.0 session while that is active, and the session's user while
// that user may still use it (not locked, not deactivated). Introspection and the Admin API's
// bearer authentication both decide "is this token live" through `activeOwnerOf`, on a session
// and user read with the token (`repos.accessTokenOwners`) or looked up by `activeSessionOwner`.

import { isSessionActive, type OAuth2Session } from '../model/oauth2-session.ts';
import { isUserActive, type User } from '../model/user.ts';
import type { Repositories } from '../storage/storage.ts';

export interface SessionOwner {
  readonly session: OAuth2Session;
  /** Null for client_credentials sessions. */
  readonly user: User | null;
}

/** The session and its user, or null when either may no longer act. */
export async function activeSessionOwner(
  repos: Pick<Repositories, 'oauth2Sessions' | 'users'>,
  sessionId: OAuth2Session['id'],
): Promise<SessionOwner | null> {
  const session = await repos.oauth2Sessions.lookup(sessionId);
  // An ended session's user is not read.
  if (session === null || !isSessionActive(session)) return null;
  const user = session.userId === null ? null : await repos.users.lookup(session.userId);
  return activeOwnerOf(session, user);
}

/**
 * `activeSessionOwner` for a session and user already read (`repos.accessTokenOwners`): the same
 * judgement, no lookup. `user` is the session's user, null when it has none or was not found.
 */
export function activeOwnerOf(session: OAuth2Session, user: User | null): SessionOwner | null {
  if (!isSessionActive(session)) return null;
  if (session.userId === null) return { session, user: null };
  if (user === null || !isUserActive(user)) return null;
  return { session, user };
}
