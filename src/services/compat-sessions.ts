// Starting and ending compatibility sessions (legacy Matrix logins), shared by the compat
// endpoints and `gatehouse manage issue-compatibility-token`.
//
// A device belongs to one session at a time: starting a session for a device the user already
// holds ends the sessions holding it, compat or OAuth 2.0 (MAS: `finish_sessions_to_replace_device`).
// Everything here runs inside the caller's transaction; the homeserver is told afterwards.

import type { Clock } from '../clock.ts';
import { generateToken, tokenHash } from '../crypto/tokens.ts';
import type { CompatSession } from '../model/compat-session.ts';
import type { BrowserSessionId } from '../model/ids.ts';
import type { User } from '../model/user.ts';
import { randomString, type Rng } from '../rng.ts';
import type { Repositories } from '../storage/storage.ts';
import type { IntrospectionCache } from './introspection-cache.ts';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** The characters a Matrix device id may use (those allowed in a device scope token). */
const DEVICE_ID = /^[A-Za-z0-9._~!$&'()*+,;=:@/-]{1,255}$/;

/** A new device id: 10 upper-case letters, as Synapse makes them. */
export function generateDeviceId(rng: Rng): string {
  return randomString(rng, UPPER, 10);
}

export function isValidDeviceId(deviceId: string): boolean {
  return DEVICE_ID.test(deviceId);
}

export interface StartCompatSession {
  readonly user: User;
  readonly deviceId: string;
  readonly humanName: string | null;
  readonly userAgent: string | null;
  readonly browserSessionId: BrowserSessionId | null;
  readonly isSynapseAdmin: boolean;
  /** Seconds the access token lives, with a refresh token; null: never expires, no refresh token. */
  readonly refreshableTtlSeconds: number | null;
}

export interface StartedCompatSession {
  readonly session: CompatSession;
  readonly accessToken: string;
  readonly refreshToken: string | null;
  readonly expiresInMs: number | null;
  /** Sessions ended because they held the same device. */
  readonly replaced: number;
}

/** Ends the user's sessions (compat and OAuth 2.0) holding `deviceId`; returns how many. */
export async function finishSessionsHoldingDevice(
  repos: Repositories,
  clock: Clock,
  user: User,
  deviceId: string,
  cache?: Pick<IntrospectionCache, 'invalidate'>,
): Promise<number> {
  let ended = 0;
  for (const session of await repos.compatSessions.listActiveForDevice(user.id, deviceId)) {
    await repos.compatSessions.finish(clock, session);
    await cache?.invalidate({ session: session.id });
    ended += 1;
  }
  // Only the user's sessions whose scope names the device are loaded, by index (the device is
  // stored with each session), so a login costs the same for a user with thousands of sessions
  // (a bot, a test account) as for one with two; reading them all cost milliseconds of CPU.
  for (const session of await repos.oauth2Sessions.listActiveForDevice(user.id, deviceId)) {
    await repos.oauth2Sessions.finish(clock, session);
    await cache?.invalidate({ session: session.id });
    ended += 1;
  }
  return ended;
}

/** Creates the session and its tokens, replacing whatever held the device. */
export async function startCompatSession(
  repos: Repositories,
  deps: {
    readonly clock: Clock;
    readonly rng: Rng;
    readonly introspectionCache?: IntrospectionCache | undefined;
  },
  start: StartCompatSession,
): Promise<StartedCompatSession> {
  const { clock, rng } = deps;
  const replaced = await finishSessionsHoldingDevice(
    repos,
    clock,
    start.user,
    start.deviceId,
    deps.introspectionCache,
  );
  const session = await repos.compatSessions.add(rng, clock, {
    userId: start.user.id,
    deviceId: start.deviceId,
    browserSessionId: start.browserSessionId,
    isSynapseAdmin: start.isSynapseAdmin,
    humanName: start.humanName,
    userAgent: start.userAgent,
  });
  const tokens = await issueCompatTokens(repos, deps, session, start.refreshableTtlSeconds);
  return { session, ...tokens, replaced };
}

/** A new access token (and refresh token when it expires) for the session. */
export async function issueCompatTokens(
  repos: Repositories,
  deps: { readonly clock: Clock; readonly rng: Rng },
  session: CompatSession,
  refreshableTtlSeconds: number | null,
): Promise<{ accessToken: string; refreshToken: string | null; expiresInMs: number | null }> {
  const { clock, rng } = deps;
  const accessToken = generateToken('compatAccessToken', rng);
  const expiresInMs = refreshableTtlSeconds === null ? null : refreshableTtlSeconds * 1000;
  const access = await repos.compatAccessTokens.add(
    rng,
    clock,
    session,
    tokenHash(accessToken),
    expiresInMs === null ? null : new Date(clock.now().getTime() + expiresInMs),
  );
  if (expiresInMs === null) return { accessToken, refreshToken: null, expiresInMs: null };
  const refreshToken = generateToken('compatRefreshToken', rng);
  await repos.compatRefreshTokens.add(rng, clock, session, tokenHash(refreshToken), access);
  return { accessToken, refreshToken, expiresInMs };
}
