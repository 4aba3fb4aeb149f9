// Session limits (`experimental.session_limit`; MAS's `session_limit` policy data, used by its
// authorization_grant and compat_login policies):
// - interactive sign-ins (authorization code, device code, compat SSO) meet the SOFT limit: at
//   `soft_limit` active sessions the user must end some first;
// - non-interactive logins (compat `m.login.password`, `m.login.token`) meet the HARD limit: at
//   `hard_limit` they are refused, or with `dangerous_hard_limit_eviction` the least recently
//   used sessions are ended to make room (their devices are then removed from the homeserver by a
//   sync-devices job);
// - accounts above `max_session_threshold` sessions are left alone (bots from before the limit).
//
// Sessions counted: active OAuth 2.0 and compatibility sessions (./user-sessions.ts). Most sign-ins
// are under the limit, so they only COUNT the user's sessions (two indexed counts); the sessions
// are listed only at or over the limit, where eviction needs them. (Listing them on every login
// cost milliseconds for users with thousands of sessions, such as bots past the threshold.)
// Call inside the transaction that will create the new session.

import type { Clock } from '../clock.ts';
import type { RootConfig } from '../config/root.ts';
import type { User } from '../model/user.ts';
import type { Rng } from '../rng.ts';
import { enqueueSyncDevices } from '../storage/matrix-jobs.ts';
import type { Repositories } from '../storage/storage.ts';
import type { UserId } from '../model/ids.ts';
import { endAppSession, listAppSessions, type AppSession } from './user-sessions.ts';
import type { IntrospectionCache } from './introspection-cache.ts';

/** `interactive` meets the soft limit; `password` and `token` logins the hard one. */
export type SessionLimitKind = 'interactive' | 'password' | 'token';

export type SessionLimitOutcome =
  | {
      readonly allowed: true;
      readonly active: number;
      /** Sessions ended to make room (hard limit with eviction). */
      readonly evicted: readonly AppSession[];
    }
  | {
      readonly allowed: false;
      readonly limit: 'soft' | 'hard';
      readonly active: number;
      readonly max: number;
      /** How many sessions the user must end before this sign-in can succeed. */
      readonly needToRemove: number;
      /** One line for the user. */
      readonly message: string;
    };

export async function checkSessionLimit(
  repos: Repositories,
  user: User,
  config: Pick<RootConfig, 'experimental'>,
  kind: SessionLimitKind,
  deps: {
    readonly clock: Clock;
    readonly rng: Rng;
    readonly introspectionCache?: IntrospectionCache | undefined;
  },
): Promise<SessionLimitOutcome> {
  const limit = config.experimental.session_limit;
  if (limit === undefined) return { allowed: true, active: 0, evicted: [] };
  const max = kind === 'interactive' ? limit.soft_limit : limit.hard_limit;
  const spared = (active: number): boolean =>
    (limit.max_session_threshold !== undefined && active > limit.max_session_threshold) ||
    active < max;
  const counted = await countAppSessions(repos, user.id);
  if (spared(counted)) return { allowed: true, active: counted, evicted: [] };
  // At or over the limit: the list decides (the same sessions as the count, in this transaction).
  const sessions = await listAppSessions(repos, user.id);
  const active = sessions.length;
  if (spared(active)) return { allowed: true, active, evicted: [] };
  const needToRemove = active - max + 1;

  if (kind !== 'interactive' && limit.dangerous_hard_limit_eviction) {
    const oldest = [...sessions]
      .sort((a, b) => a.lastActiveAt.getTime() - b.lastActiveAt.getTime())
      .slice(0, needToRemove);
    for (const session of oldest)
      await endAppSession(repos, deps.clock, session, deps.introspectionCache);
    await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, user.id);
    return { allowed: true, active: active - oldest.length, evicted: oldest };
  }
  return {
    allowed: false,
    limit: kind === 'interactive' ? 'soft' : 'hard',
    active,
    max,
    needToRemove,
    message:
      `this account has ${active} active sessions (the limit is ${max}); ` +
      `end at least ${needToRemove} of them before signing in again`,
  };
}

/** How many active sessions (OAuth 2.0 and compatibility) the user has: what `listAppSessions` lists. */
async function countAppSessions(repos: Repositories, userId: UserId): Promise<number> {
  const filter = { userId, state: 'active' } as const;
  return (await repos.oauth2Sessions.count(filter)) + (await repos.compatSessions.count(filter));
}
