// `m.login.password` at the compat login (MAS: compat/login.rs `user_password_login`).
//
// The user is named by `identifier: {type: "m.id.user", user}` or by the deprecated top-level
// `user` (which wins, as in MAS), as a localpart or a full Matrix ID on our server. The password is
// checked, and re-hashed when its scheme is old, outside any transaction (hashing takes tens of
// milliseconds); then one transaction saves the upgraded hash and starts the session. A wrong
// username and a wrong password get the same answer; a locked or deactivated account is named only
// after its password was right.
//
// Under load a login waits for a hashing slot. `signal` aborts when the client has closed its
// connection: a login still waiting then leaves the line without checking anything (no answer
// can reach that client, and the clients still there get its turn); see ./login.ts.

import type { HashedPassword } from '../../../crypto/password-manager.ts';
import {
  PasswordCheckAbortedError,
  PasswordManagerBusyError,
  UnknownPasswordSchemeError,
} from '../../../crypto/password-manager.ts';
import { isUserDeactivated, isUserLocked, type User } from '../../../model/user.ts';
import {
  startCompatSession,
  type StartedCompatSession,
} from '../../../services/compat-sessions.ts';
import type { CompatDeps, JsonObject } from './compat-request.ts';
import { optionalString } from './compat-request.ts';
import type { LoginRequest } from './login.ts';
import { enforceSessionLimit } from './session-limit-check.ts';
import {
  badJson,
  forbidden,
  MatrixError,
  missingParam,
  unknown,
  userDeactivated,
  userLocked,
} from './matrix-error.ts';

const INVALID = 'Invalid username or password';

/** The answer to a login whose client left before its password was checked (never delivered). */
const abandoned = (): MatrixError =>
  new MatrixError(
    499,
    'M_UNKNOWN',
    'The client closed the connection before the login was checked',
  );

/** The localpart the client named; `M_FORBIDDEN` for a Matrix ID on another server. */
export function requestedLocalpart(body: JsonObject, serverName: string): string {
  let user = optionalString(body, 'user');
  if (user === undefined) {
    const identifier = body.identifier;
    if (identifier === undefined || identifier === null) throw missingParam('identifier');
    if (typeof identifier !== 'object' || Array.isArray(identifier)) {
      throw badJson('identifier must be an object');
    }
    const fields = identifier as JsonObject;
    if (fields.type !== 'm.id.user') throw unknown('Unsupported identifier type');
    user = optionalString(fields, 'user');
    if (user === undefined) throw missingParam('identifier.user');
  }
  if (!user.startsWith('@')) return user;
  const match = /^@([^:]+):(.+)$/.exec(user);
  if (match === null) throw forbidden(INVALID);
  if (match[2] !== serverName) throw forbidden('This user is not on this homeserver');
  return match[1]!;
}

async function verify(
  deps: CompatDeps,
  stored: { version: number; hashedPassword: string },
  password: string,
  signal: AbortSignal | undefined,
): Promise<{ ok: boolean; upgrade: HashedPassword | null }> {
  try {
    const result = await deps.passwords.verify(
      stored.version,
      stored.hashedPassword,
      password,
      signal,
    );
    if (!result.ok) return { ok: false, upgrade: null };
    return { ok: true, upgrade: result.needsUpgrade ? await deps.passwords.hash(password) : null };
  } catch (error) {
    if (error instanceof PasswordManagerBusyError) {
      throw new MatrixError(429, 'M_LIMIT_EXCEEDED', 'The server is busy; try again', {
        retry_after_ms: 5000,
      });
    }
    if (error instanceof PasswordCheckAbortedError) throw abandoned();
    if (error instanceof UnknownPasswordSchemeError) {
      // The operator removed a scheme stored hashes still use: no password sign-in until fixed.
      deps.logger.error({ version: error.version }, error.message);
      return { ok: false, upgrade: null };
    }
    throw error;
  }
}

function refuseAccount(user: User): void {
  if (isUserDeactivated(user)) throw userDeactivated();
  if (isUserLocked(user)) throw userLocked();
}

export async function passwordLogin(
  deps: CompatDeps,
  body: JsonObject,
  login: LoginRequest,
  signal?: AbortSignal,
): Promise<StartedCompatSession & { user: User }> {
  // parse
  const localpart = requestedLocalpart(body, deps.serverName);
  const password = optionalString(body, 'password');
  if (password === undefined) throw missingParam('password');

  // rate limits (before any password is checked, whether or not the user exists)
  await deps.rateLimiter.checkLogin(login.ip, localpart);

  // load
  const found = await deps.storage.transaction(async (repos) => {
    const user = await repos.users.findByUsername(localpart);
    if (user === null) return null;
    const stored = await repos.userPasswords.active(user);
    return stored === null ? null : { user, stored };
  });
  if (found === null) {
    // As long as a wrong password takes: the answer must not tell which usernames exist. (Under
    // overload the hasher refuses, and the answer comes at once; that tells nothing either.)
    const left = await deps.passwords.verifyNothing(password, signal).then(
      () => false,
      (error: unknown) => error instanceof PasswordCheckAbortedError,
    );
    throw left ? abandoned() : forbidden(INVALID);
  }

  // check, outside any transaction
  const checked = await verify(deps, found.stored, password, signal);
  if (!checked.ok) throw forbidden(INVALID);
  await deps.rateLimiter.loginSucceeded(login.ip, localpart);
  refuseAccount(found.user);

  // mutate and save
  return deps.storage.transaction(async (repos) => {
    const user = await repos.users.lookup(found.user.id);
    if (user === null) throw forbidden(INVALID);
    refuseAccount(user);
    if (checked.upgrade !== null) {
      await repos.userPasswords.add(
        deps.rng,
        deps.clock,
        user,
        checked.upgrade.version,
        checked.upgrade.hash,
        found.stored,
      );
    }
    await enforceSessionLimit(repos, deps, user, 'password');
    const started = await startCompatSession(repos, deps, {
      user,
      deviceId: login.deviceId,
      humanName: login.humanName,
      userAgent: login.userAgent,
      browserSessionId: null,
      isSynapseAdmin: false,
      refreshableTtlSeconds: login.refreshableTtlSeconds,
    });
    // The session's first activity, with the client's address, in the same transaction.
    await repos.compatSessions.recordActivity(started.session.id, deps.clock.now(), login.ip);
    return { ...started, user };
  });
}
