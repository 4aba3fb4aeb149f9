// `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 §3.4–3.5): the device polls
// with its `device_code` until the person has answered on /device/{id}.
//
// - still waiting → `authorization_pending`; polled again sooner than the interval after the
//   previous poll → `slow_down` (every poll is recorded, so the device must really wait);
// - denied → `access_denied`; past its lifetime → `expired_token`;
// - allowed → ONE exchange: an OAuth 2.0 session for the person's browser session, an access
//   token, a refresh token when the client may refresh, an id_token with `openid`; the grant is
//   marked exchanged, so a second poll is `invalid_grant`.
//
// Status codes: RFC 8628 §3.5 says these errors are sent as in RFC 6749 §5.2, i.e. HTTP 400. MAS
// answers 403; Gatehouse follows the RFC, which is what device libraries expect (some treat any
// other status as a hard failure).
//
// The waiting answers are returned rather than thrown so the recorded poll time is committed.

import { tokenHash } from '../../../../crypto/tokens.ts';
import { isActive, type BrowserSession } from '../../../../model/browser-session.ts';
import { deviceGrantStage, type DeviceCodeGrant } from '../../../../model/device-code-grant.ts';
import { allowsGrant } from '../../../../model/oauth2-client.ts';
import { isUserActive, type User } from '../../../../model/user.ts';
import { enforceGrantPolicy, grantPolicyConfig } from '../../../../oauth2/grant-policy.ts';
import { invalidRequest, OAuthError, type OAuthErrorCode } from '../../../../oauth2/errors.ts';
import { parseScope } from '../../../../oauth2/scope.ts';
import {
  accessTokenTtl,
  issueTokens,
  tokenResponse,
  userClaims,
  emailsForClaims,
} from '../../../../oauth2/token-issuer.ts';
import { DEVICE_POLL_INTERVAL_SECONDS } from '../device-authorization.ts';
import { signOrFail } from './authorization-code.ts';
import { pendingDevice } from '../../../../services/grant-device.ts';
import type { Repositories } from '../../../../storage/storage.ts';
import type { DevicePreparer, GrantDeps, GrantHandler } from './grant.ts';

/** RFC 8628 §3.5: HTTP 400, not MAS's 403 (see the header). */
const RFC8628_STATUS = 400;

const deviceError = (error: OAuthErrorCode, description: string): OAuthError =>
  new OAuthError(error, description, { status: RFC8628_STATUS });

const invalidGrant = (description: string, detail?: string): OAuthError =>
  new OAuthError('invalid_grant', description, detail === undefined ? {} : { detail });

/** The browser session and user that approved the grant; throws when they may no longer use it. */
async function approvedBy(
  repos: Repositories,
  grant: DeviceCodeGrant,
  clientId: string,
  deps: GrantDeps,
): Promise<{ browserSession: BrowserSession; user: User }> {
  if (grant.browserSessionId === null)
    throw invalidGrant('the device code is invalid', 'no session');
  const browserSession = await repos.browserSessions.lookup(grant.browserSessionId);
  if (browserSession === null || !isActive(browserSession)) {
    throw invalidGrant('the sign-in that approved this device has ended');
  }
  const user = await repos.users.lookup(browserSession.userId);
  if (user === null || !isUserActive(user)) throw invalidGrant('the account cannot be used');
  // The user's rights may have changed since they approved (admin scopes).
  enforceGrantPolicy(
    { grant: 'device_code', scopes: parseScope(grant.scope), clientId, user },
    grantPolicyConfig(deps.config),
  );
  return { browserSession, user };
}

/** The Matrix device this exchange would create (see `DevicePreparer`). */
export const deviceCodeDevice: DevicePreparer = async (repos, request, deps) => {
  const deviceCode = request.params.get('device_code');
  if (deviceCode === undefined) return null;
  const grant = await repos.deviceCodeGrants.findByDeviceCodeHash(tokenHash(deviceCode));
  if (grant === null || grant.clientId !== request.client.id) return null;
  if (deviceGrantStage(grant, deps.clock.now()) !== 'fulfilled') return null;
  try {
    const { user } = await approvedBy(repos, grant, request.client.id, deps);
    return pendingDevice(user, grant.scope, request.client, request.userAgent);
  } catch {
    return null;
  }
};

export const deviceCodeGrant: GrantHandler = async (repos, request, deps) => {
  // parse
  const deviceCode = request.params.get('device_code');
  if (deviceCode === undefined) throw invalidRequest('device_code is required');
  const now = deps.clock.now();

  // load
  const grant = await repos.deviceCodeGrants.findByDeviceCodeHash(tokenHash(deviceCode));
  if (grant === null || grant.clientId !== request.client.id) {
    throw invalidGrant(
      'the device code is invalid',
      grant === null ? 'unknown code' : 'other client',
    );
  }

  // check
  switch (deviceGrantStage(grant, now)) {
    case 'exchanged':
      throw invalidGrant('the device code was already used');
    case 'rejected':
      throw deviceError('access_denied', 'the request was denied');
    case 'expired':
      throw deviceError('expired_token', 'the device code has expired');
    case 'pending': {
      const last = grant.lastPolledAt;
      await repos.deviceCodeGrants.recordPoll(deps.clock, grant);
      if (last !== null && now.getTime() - last.getTime() < DEVICE_POLL_INTERVAL_SECONDS * 1000) {
        return deviceError(
          'slow_down',
          `poll at most every ${DEVICE_POLL_INTERVAL_SECONDS} seconds`,
        );
      }
      return deviceError('authorization_pending', 'the request has not been answered yet');
    }
    case 'fulfilled':
      break;
  }

  const { browserSession, user } = await approvedBy(repos, grant, request.client.id, deps);
  const lastAuthentication = await repos.browserSessions.lastAuthentication(browserSession);

  // mutate and save
  const session = await repos.oauth2Sessions.add(deps.rng, deps.clock, {
    clientId: request.client.id,
    userId: user.id,
    browserSessionId: browserSession.id,
    scope: grant.scope,
    userAgent: request.userAgent,
  });
  await repos.deviceCodeGrants.exchange(deps.clock, grant, session.id);
  const issued = await issueTokens(
    repos,
    session,
    { clock: deps.clock, rng: deps.rng, accessTokenTtl: accessTokenTtl(deps.config) },
    allowsGrant(request.client, 'refresh_token'),
  );

  const scopes = parseScope(grant.scope);
  let idToken: string | null = null;
  if (scopes.includes('openid')) {
    idToken = await signOrFail(deps, {
      issuer: deps.issuer,
      clientId: request.client.id,
      subject: user.id,
      alg: request.client.idTokenSignedResponseAlg,
      authTime: lastAuthentication?.createdAt ?? null,
      accessToken: issued.accessToken,
      extraClaims: userClaims(user, scopes, await emailsForClaims(repos, user, scopes)),
    });
  }

  // respond
  return tokenResponse(issued, session.scope, idToken);
};
