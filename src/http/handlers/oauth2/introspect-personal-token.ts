// The personal-access-token branch of `POST /oauth2/introspect` (called from ./introspect.ts for
// `mpt_` tokens). MAS's answer: the session's scope (API and device scopes in both forms; the
// device moves to `device_id` for a homeserver sending `X-MAS-Supports-Device-Id: 1`, as for
// OAuth 2.0 sessions, in ./introspect.ts), `username` and `sub` of the actor, `client_id` only
// for a session an OAuth 2.0 client owns, no `jti`. Anything not live (services/personal-sessions.ts)
// is `{"active": false}`. Uses are recorded through the activity tracker; active answers to the
// homeserver are cached as access tokens' are.

import type { Clock } from '../../../clock.ts';
import { normaliseMatrixScope } from '../../../oauth2/matrix-scopes.ts';
import type { ActivityTracker } from '../../../services/activity-tracker.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
import { livePersonalToken } from '../../../services/personal-sessions.ts';
import type { Repositories } from '../../../storage/storage.ts';

export interface PersonalIntrospection {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: 'access_token';
  exp?: number;
  expires_in?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
}

export interface PersonalIntrospectionDeps {
  readonly clock: Clock;
  readonly activity: ActivityTracker;
  readonly introspectionCache?: IntrospectionCache | undefined;
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

export async function introspectPersonalToken(
  repos: Repositories,
  token: string,
  deps: PersonalIntrospectionDeps,
  cacheKey: string | null,
): Promise<PersonalIntrospection> {
  const now = deps.clock.now();
  const live = await livePersonalToken(repos, token, now);
  if (live === null) return { active: false };
  const { session, actor, token: pat } = live;
  // The introspecting party is the homeserver, not the token's user: no IP to record (as MAS).
  deps.activity.recordPersonalSessionActivity(session.id, null);
  const body: PersonalIntrospection = {
    active: true,
    scope: normaliseMatrixScope(session.scope),
  };
  if (session.owner.clientId !== undefined) body.client_id = session.owner.clientId;
  body.username = actor.username;
  body.token_type = 'access_token';
  const exp = pat.expiresAt === null ? null : seconds(pat.expiresAt);
  if (exp !== null) {
    body.exp = exp;
    body.expires_in = Math.max(0, exp - seconds(now));
  }
  body.iat = seconds(pat.createdAt);
  body.nbf = seconds(pat.createdAt);
  body.sub = actor.id;
  if (cacheKey !== null) {
    deps.introspectionCache?.set(
      cacheKey,
      { kind: 'personal', body: { ...body }, sessionId: session.id, tokenId: pat.id, exp },
      { tokenId: pat.id, sessionId: session.id, userId: actor.id, browserSessionId: null },
      pat.expiresAt,
    );
  }
  return body;
}
