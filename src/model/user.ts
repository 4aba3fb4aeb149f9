// A user account (MAS: `users`). The username is the Matrix localpart. An account is usable only
// while it is neither locked nor deactivated; locking is reversible by an admin, deactivation is
// the account being closed (MAS locks before it deactivates, so a deactivated user is usually also
// locked: the states below overlap on purpose, exactly as MAS's user filter does).

import type { UserId } from './ids.ts';

export interface User {
  readonly id: UserId;
  readonly username: string;
  readonly createdAt: Date;
  readonly lockedAt: Date | null;
  readonly deactivatedAt: Date | null;
  /** May ask for the `urn:synapse:admin:*` and `urn:mas:admin` scopes in interactive grants. */
  readonly canRequestAdmin: boolean;
}

/** The states a user list can be filtered on. `locked` and `deactivated` can both hold. */
export type UserState = 'active' | 'locked' | 'deactivated';

export function isUserLocked(user: User): boolean {
  return user.lockedAt !== null;
}

export function isUserDeactivated(user: User): boolean {
  return user.deactivatedAt !== null;
}

/** True when the user may sign in and use their sessions. */
export function isUserActive(user: User): boolean {
  return !isUserLocked(user) && !isUserDeactivated(user);
}

/** Whether the user is in `state`, as the user-list filter means it. */
export function userIsInState(user: User, state: UserState): boolean {
  switch (state) {
    case 'active':
      return isUserActive(user);
    case 'locked':
      return isUserLocked(user);
    case 'deactivated':
      return isUserDeactivated(user);
  }
}

/** The characters of a Matrix localpart (the spec's historical grammar, lower case, as MAS). */
export const LOCALPART_PATTERN = /^[a-z0-9._=/+-]+$/;
/** Matrix user IDs are at most 255 characters (`@localpart:server`). */
export const MAX_USER_ID_LENGTH = 255;

/** Null when `username` can be a localpart on `serverName`, else why not (one line). */
export function usernameProblem(username: string, serverName: string | null): string | null {
  if (username === '') return 'the username is empty';
  if (!LOCALPART_PATTERN.test(username)) {
    return `invalid username "${username}": use only lower-case letters, digits and . _ = / + -`;
  }
  if (`@${username}:${serverName ?? ''}`.length > MAX_USER_ID_LENGTH) {
    return `invalid username "${username}": the Matrix ID would be longer than ${MAX_USER_ID_LENGTH} characters`;
  }
  return null;
}
