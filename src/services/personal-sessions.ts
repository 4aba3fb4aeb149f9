// Personal access tokens (`mpt_`), in one place for the Admin API, the account page and the CLI:
// issuing a session with its first token, regenerating and revoking it, and deciding whether a
// presented token is live (introspection and Admin API authentication decide it here, so they
// cannot disagree).
//
// A token is live while it is neither revoked nor expired, its session is not revoked, its actor
// may act (not locked, not deactivated) and, for a session a user owns, that owner may too. Every
// change that can end a token invalidates the introspection cache from inside its transaction.
// A session whose scope names a Matrix device gets that device through a `sync-devices` job
// (created when the session is, deleted when it is revoked).

import type { Clock } from '../clock.ts';
import { generateToken, tokenHash } from '../crypto/tokens.ts';
import type { UserId } from '../model/ids.ts';
import {
  isPersonalAccessTokenValid,
  isPersonalSessionActive,
  type PersonalAccessToken,
  type PersonalSession,
  type PersonalSessionOwner,
} from '../model/personal-session.ts';
import { isUserActive, type User } from '../model/user.ts';
import { deviceIdOfScope } from '../oauth2/matrix-scopes.ts';
import type { Rng } from '../rng.ts';
import { enqueueSyncDevices } from '../storage/matrix-jobs.ts';
import type { Repositories } from '../storage/storage.ts';
import type { IntrospectionCache } from './introspection-cache.ts';

export interface PersonalTokenDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly introspectionCache?: IntrospectionCache | undefined;
}

/** A session with the token just issued for it, shown to its owner once. */
export interface IssuedPersonalToken {
  readonly session: PersonalSession;
  readonly token: PersonalAccessToken;
  readonly accessToken: string;
}

/** What a live `mpt_` token speaks for. */
export interface PersonalTokenOwner {
  readonly token: PersonalAccessToken;
  readonly session: PersonalSession;
  readonly actor: User;
}

const expiryAfter = (clock: Clock, expiresInSeconds: number | null): Date | null =>
  expiresInSeconds === null ? null : new Date(clock.now().getTime() + expiresInSeconds * 1000);

/** Creates a session and its first token (the caller checked the actor and the scope). */
export async function issuePersonalSession(
  repos: Repositories,
  deps: PersonalTokenDeps,
  fields: {
    readonly owner: PersonalSessionOwner;
    readonly actor: User;
    readonly humanName: string;
    readonly scope: string;
    /** Seconds; null: the token never expires. */
    readonly expiresIn: number | null;
  },
): Promise<IssuedPersonalToken> {
  const session = await repos.personalSessions.add(deps.rng, deps.clock, {
    owner: fields.owner,
    actorUserId: fields.actor.id,
    humanName: fields.humanName,
    scope: fields.scope,
  });
  const accessToken = generateToken('personalAccessToken', deps.rng);
  const token = await repos.personalSessions.issueToken(
    deps.rng,
    deps.clock,
    session,
    tokenHash(accessToken),
    expiryAfter(deps.clock, fields.expiresIn),
  );
  if (deviceIdOfScope(session.scope) !== null) {
    await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, fields.actor.id);
  }
  return { session, token, accessToken };
}

/** Replaces the session's token with a new one (the caller checked the session is active). */
export async function regeneratePersonalToken(
  repos: Repositories,
  deps: PersonalTokenDeps,
  session: PersonalSession,
  expiresIn: number | null,
): Promise<IssuedPersonalToken> {
  const previous = await repos.personalSessions.currentToken(session.id);
  const accessToken = generateToken('personalAccessToken', deps.rng);
  const token = await repos.personalSessions.issueToken(
    deps.rng,
    deps.clock,
    session,
    tokenHash(accessToken),
    expiryAfter(deps.clock, expiresIn),
  );
  if (previous !== null) await deps.introspectionCache?.invalidate({ accessToken: previous.id });
  return { session, token, accessToken };
}

/** Revokes the session and its token; its device, if any, goes with the next device sync. */
export async function revokePersonalSession(
  repos: Repositories,
  deps: PersonalTokenDeps,
  session: PersonalSession,
): Promise<PersonalSession> {
  const revoked = await repos.personalSessions.revoke(deps.clock, session);
  await deps.introspectionCache?.invalidate({ session: session.id });
  if (deviceIdOfScope(session.scope) !== null) {
    await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, session.actorUserId);
  }
  return revoked;
}

/** The live session behind an `mpt_` token (shape already checked), or null. */
export async function livePersonalToken(
  repos: Pick<Repositories, 'personalSessions' | 'users'>,
  accessToken: string,
  now: Date,
): Promise<PersonalTokenOwner | null> {
  const token = await repos.personalSessions.findTokenByHash(tokenHash(accessToken));
  if (token === null || !isPersonalAccessTokenValid(token, now)) return null;
  const session = await repos.personalSessions.lookup(token.sessionId);
  if (session === null || !isPersonalSessionActive(session)) return null;
  const actor = await repos.users.lookup(session.actorUserId);
  if (actor === null || !isUserActive(actor)) return null;
  const ownerUserId: UserId | undefined = session.owner.userId;
  if (ownerUserId !== undefined && ownerUserId !== actor.id) {
    const owner = await repos.users.lookup(ownerUserId);
    if (owner === null || !isUserActive(owner)) return null;
  }
  return { token, session, actor };
}
