// `m.login.token` at the compat login: the last step of the legacy SSO flow (MAS: compat/login.rs
// `token_login`). The `token` is the `loginToken` the browser was sent back with
// (./login-sso-complete.ts); it can be exchanged once, within 30 seconds of the login being
// completed, for a session of the user whose browser session completed it.

import { tokenHash } from '../../../crypto/tokens.ts';
import { isActive } from '../../../model/browser-session.ts';
import { ssoLoginStage } from '../../../model/compat-session.ts';
import { isUserDeactivated, isUserLocked, type User } from '../../../model/user.ts';
import {
  startCompatSession,
  type StartedCompatSession,
} from '../../../services/compat-sessions.ts';
import { StateConflictError } from '../../../storage/state-conflict-error.ts';
import { optionalString, type CompatDeps, type JsonObject } from './compat-request.ts';
import type { LoginRequest } from './login.ts';
import { enforceSessionLimit } from './session-limit-check.ts';
import { forbidden, missingParam, userDeactivated, userLocked } from './matrix-error.ts';

const INVALID = 'Invalid login token';

export async function tokenLogin(
  deps: CompatDeps,
  body: JsonObject,
  login: LoginRequest,
): Promise<StartedCompatSession & { user: User }> {
  const token = optionalString(body, 'token');
  if (token === undefined || token === '') throw missingParam('token');

  return deps.storage.transaction(async (repos) => {
    // load and check
    const ssoLogin = await repos.compatSsoLogins.findByTokenHash(tokenHash(token));
    if (ssoLogin === null || ssoLogin.browserSessionId === null) throw forbidden(INVALID);
    const stage = ssoLoginStage(ssoLogin, deps.clock.now());
    if (stage === 'exchanged') throw forbidden('This login token was already used');
    if (stage !== 'fulfilled') throw forbidden('This login token has expired');
    const browserSession = await repos.browserSessions.lookup(ssoLogin.browserSessionId);
    if (browserSession === null || !isActive(browserSession)) throw forbidden(INVALID);
    const user = await repos.users.lookup(browserSession.userId);
    if (user === null) throw forbidden(INVALID);
    if (isUserDeactivated(user)) throw userDeactivated();
    if (isUserLocked(user)) throw userLocked();

    // mutate and save
    await enforceSessionLimit(repos, deps, user, 'token');
    const started = await startCompatSession(repos, deps, {
      user,
      deviceId: login.deviceId,
      humanName: login.humanName,
      userAgent: login.userAgent,
      browserSessionId: browserSession.id,
      isSynapseAdmin: false,
      refreshableTtlSeconds: login.refreshableTtlSeconds,
    });
    try {
      await repos.compatSsoLogins.exchange(deps.clock, ssoLogin, started.session);
    } catch (error) {
      // Exchanged by a concurrent request: this one must not get a second session.
      if (error instanceof StateConflictError) throw forbidden('This login token was already used');
      throw error;
    }
    // The session's first activity, with the client's address, in the same transaction.
    await repos.compatSessions.recordActivity(started.session.id, deps.clock.now(), login.ip);
    return { ...started, user };
  });
}
