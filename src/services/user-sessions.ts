// A user's application sessions, whatever made them: OAuth 2.0 sessions and compatibility
// (legacy Matrix login) sessions. What the homeserver integration needs from them in one place:
// which Matrix devices they hold (sync-devices), how many there are and which was used least
// recently (session limits), and ending them all (kill-sessions, deactivation).
//
// To add a kind of session (MAS's personal access tokens, say): list it in `listAppSessions` and
// end it in `endAppSession`; everything above picks it up.

import type { Clock } from '../clock.ts';
import type { CompatSession } from '../model/compat-session.ts';
import type { UserId } from '../model/ids.ts';
import type { OAuth2Session } from '../model/oauth2-session.ts';
import type { User } from '../model/user.ts';
import { deviceIdOfScope } from '../oauth2/matrix-scopes.ts';
import type { Repositories } from '../storage/storage.ts';
import type { IntrospectionCache } from './introspection-cache.ts';

export type AppSession =
  | {
      readonly kind: 'oauth2';
      readonly session: OAuth2Session;
      readonly deviceId: string | null;
      /** Last use, or creation when never used. */
      readonly lastActiveAt: Date;
    }
  | {
      readonly kind: 'compat';
      readonly session: CompatSession;
      readonly deviceId: string;
      readonly lastActiveAt: Date;
    };

/** The user's active application sessions (OAuth 2.0 and compatibility). */
export async function listAppSessions(repos: Repositories, userId: UserId): Promise<AppSession[]> {
  const sessions: AppSession[] = [];
  for (const session of await repos.oauth2Sessions.listActiveForUser(userId)) {
    sessions.push({
      kind: 'oauth2',
      session,
      deviceId: deviceIdOfScope(session.scope),
      lastActiveAt: session.lastActiveAt ?? session.createdAt,
    });
  }
  for (const session of await repos.compatSessions.listActiveForUser(userId)) {
    sessions.push({
      kind: 'compat',
      session,
      deviceId: session.deviceId,
      lastActiveAt: session.lastActiveAt ?? session.createdAt,
    });
  }
  return sessions;
}

/** The Matrix devices the user's active sessions hold: what the homeserver should have. */
export async function activeDeviceIds(repos: Repositories, userId: UserId): Promise<Set<string>> {
  const devices = new Set<string>();
  for (const session of await listAppSessions(repos, userId)) {
    if (session.deviceId !== null) devices.add(session.deviceId);
  }
  // Personal sessions acting as the user may name a device too (MAS's sync_devices counts them).
  for (const session of await repos.personalSessions.listActiveForActor(userId)) {
    const deviceId = deviceIdOfScope(session.scope);
    if (deviceId !== null) devices.add(deviceId);
  }
  return devices;
}

/**
 * Ends one OAuth 2.0 or compat session (and its tokens); with `cache`, its cached introspections go
 * too (call it inside the transaction that ends it, as every revocation does).
 */
export async function endAppSession(
  repos: Repositories,
  clock: Clock,
  session: AppSession,
  cache?: Pick<IntrospectionCache, 'invalidate'>,
): Promise<void> {
  if (session.kind === 'oauth2') await repos.oauth2Sessions.finish(clock, session.session);
  else await repos.compatSessions.finish(clock, session.session);
  await cache?.invalidate({ session: session.session.id });
}

export interface EndedSessions {
  readonly browser: number;
  readonly oauth2: number;
  readonly compat: number;
}

/** Ends every browser and application session of the user (their tokens are revoked with them). */
export async function endAllSessions(
  repos: Repositories,
  clock: Clock,
  user: User,
): Promise<EndedSessions> {
  const sessions = await listAppSessions(repos, user.id);
  for (const session of sessions) await endAppSession(repos, clock, session);
  const browser = await repos.browserSessions.finishAllForUser(clock, user);
  return {
    browser,
    oauth2: sessions.filter((s) => s.kind === 'oauth2').length,
    compat: sessions.filter((s) => s.kind === 'compat').length,
  };
}
