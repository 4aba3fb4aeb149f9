// `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5, OIDC Core §3.1.3): exchanges
// the code issued at /authorize for an OAuth 2.0 session with an access token, a refresh token
// (when the client may refresh) and, with `openid`, an id_token.
//
// Codes are valid for 10 minutes after fulfilment. A code presented again is refused; more than
// 20 s after its exchange it is taken as stolen and the session the first exchange created is
// ended (MAS's theft mitigation) — that error is returned, not thrown, so the ending commits.

import { NoSigningKeyError } from '../../../../crypto/keystore.ts';
import { tokenHash } from '../../../../crypto/tokens.ts';
import type { AuthorizationGrant } from '../../../../model/authorization-grant.ts';
import { isActive, type BrowserSession } from '../../../../model/browser-session.ts';
import { allowsGrant } from '../../../../model/oauth2-client.ts';
import { isSessionActive } from '../../../../model/oauth2-session.ts';
import { isUserActive, type User } from '../../../../model/user.ts';
import { enforceGrantPolicy, grantPolicyConfig } from '../../../../oauth2/grant-policy.ts';
import { pendingDevice } from '../../../../services/grant-device.ts';
import { invalidRequest, OAuthError } from '../../../../oauth2/errors.ts';
import { signIdToken } from '../../../../oauth2/id-token.ts';
import { isCodeChallengeMethod, verifyCodeVerifier } from '../../../../oauth2/pkce.ts';
import {
  accessTokenTtl,
  AUTHORIZATION_CODE_LIFETIME_SECONDS,
  CODE_REUSE_GRACE_SECONDS,
  issueTokens,
  tokenResponse,
  userClaims,
  emailsForClaims,
} from '../../../../oauth2/token-issuer.ts';
import { parseScope } from '../../../../oauth2/scope.ts';
import type { Repositories } from '../../../../storage/storage.ts';
import type { DevicePreparer, GrantDeps, GrantHandler, GrantRequest } from './grant.ts';

const invalidGrant = (description: string, detail?: string): OAuthError =>
  new OAuthError('invalid_grant', description, detail === undefined ? {} : { detail });

/** Everything the exchange needs, once every check passed; `reused` for a code seen before. */
async function checkCode(
  repos: Repositories,
  request: GrantRequest,
  deps: GrantDeps,
): Promise<
  | { reused: AuthorizationGrant }
  | {
      code: string;
      grant: AuthorizationGrant;
      browserSession: BrowserSession;
      user: User;
    }
> {
  // parse
  const code = request.params.get('code');
  if (code === undefined) throw invalidRequest('code is required');
  const redirectUri = request.params.get('redirect_uri');
  const verifier = request.params.get('code_verifier');
  const now = deps.clock.now();

  // load
  const grant = await repos.authorizationGrants.findByCodeHash(tokenHash(code));
  if (grant === null) throw invalidGrant('the code is invalid', 'unknown code');

  // check: a reused code ends its session whoever presents it (MAS checks this first too)
  if (grant.cancelledAt !== null) throw invalidGrant('the code is invalid', 'cancelled grant');
  if (grant.exchangedAt !== null) return { reused: grant };
  if (grant.clientId !== request.client.id) {
    throw invalidGrant('the code is invalid', 'code of another client');
  }
  if (grant.fulfilledAt === null) throw invalidGrant('the code is invalid', 'grant not fulfilled');
  if (secondsSince(grant.fulfilledAt, now) > AUTHORIZATION_CODE_LIFETIME_SECONDS) {
    throw invalidGrant('the code has expired');
  }
  checkRedirectUri(grant, redirectUri, request.client.redirectUris);
  checkPkce(grant, verifier);

  if (grant.browserSessionId === null) throw invalidGrant('the code is invalid', 'no session');
  const browserSession = await repos.browserSessions.lookup(grant.browserSessionId);
  if (browserSession === null || !isActive(browserSession)) {
    throw invalidGrant('the sign-in that issued this code has ended');
  }
  const user = await repos.users.lookup(browserSession.userId);
  if (user === null || !isUserActive(user)) throw invalidGrant('the account cannot be used');
  // The user's rights may have changed since consent (admin scopes).
  enforceGrantPolicy(
    {
      grant: 'authorization_code',
      scopes: parseScope(grant.scope),
      clientId: request.client.id,
      user,
    },
    grantPolicyConfig(deps.config),
  );
  return { code, grant, browserSession, user };
}

/** The Matrix device this exchange would create (see `DevicePreparer`). */
export const authorizationCodeDevice: DevicePreparer = async (repos, request, deps) => {
  try {
    const checked = await checkCode(repos, request, deps);
    if ('reused' in checked) return null;
    return pendingDevice(checked.user, checked.grant.scope, request.client, request.userAgent);
  } catch {
    return null;
  }
};

export const authorizationCodeGrant: GrantHandler = async (repos, request, deps) => {
  // parse, load, check
  const checked = await checkCode(repos, request, deps);
  if ('reused' in checked) return reusedCode(repos, checked.reused, deps);
  const { code, grant, browserSession, user } = checked;
  const lastAuthentication = await repos.browserSessions.lastAuthentication(browserSession);

  // mutate and save
  const session = await repos.oauth2Sessions.add(deps.rng, deps.clock, {
    clientId: request.client.id,
    userId: user.id,
    browserSessionId: browserSession.id,
    scope: grant.scope,
    userAgent: request.userAgent,
  });
  await repos.authorizationGrants.exchange(deps.clock, grant, session.id);
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
      nonce: grant.nonce,
      authTime: lastAuthentication?.createdAt ?? null,
      accessToken: issued.accessToken,
      code,
      extraClaims: userClaims(user, scopes, await emailsForClaims(repos, user, scopes)),
    });
  }

  // respond
  return tokenResponse(issued, session.scope, idToken);
};

const secondsSince = (then: Date, now: Date): number => (now.getTime() - then.getTime()) / 1000;

/** A code seen again: refused; after the grace period its session is ended as well (committed). */
async function reusedCode(
  repos: Repositories,
  grant: AuthorizationGrant,
  deps: GrantDeps,
): Promise<OAuthError> {
  const exchangedAt = grant.exchangedAt!;
  if (secondsSince(exchangedAt, deps.clock.now()) <= CODE_REUSE_GRACE_SECONDS) {
    throw invalidGrant('the code was already used', 'reused within the grace period');
  }
  if (grant.oauth2SessionId !== null) {
    const session = await repos.oauth2Sessions.lookup(grant.oauth2SessionId);
    if (session !== null && isSessionActive(session)) {
      await repos.oauth2Sessions.finish(deps.clock, session);
      await deps.introspectionCache?.invalidate({ session: session.id });
    }
  }
  return invalidGrant('the code was already used', 'reused: session ended');
}

/**
 * RFC 6749 §4.1.3: the redirect URI must be the one of the authorization request. It may be left
 * out only when the request could leave it out too (the client has exactly that one URI).
 */
function checkRedirectUri(
  grant: AuthorizationGrant,
  given: string | undefined,
  registered: readonly string[],
): void {
  if (given === undefined) {
    if (registered.length === 1 && registered[0] === grant.redirectUri) return;
    throw invalidRequest('redirect_uri is required');
  }
  if (given !== grant.redirectUri) throw invalidGrant('redirect_uri does not match');
}

/** RFC 7636 §4.6: a challenge needs its verifier; a verifier without a challenge is refused. */
function checkPkce(grant: AuthorizationGrant, verifier: string | undefined): void {
  if (grant.codeChallenge === null) {
    if (verifier !== undefined) {
      throw invalidGrant('code_verifier was sent but the authorization request had no challenge');
    }
    return;
  }
  if (verifier === undefined) throw invalidGrant('code_verifier is required');
  const method = grant.codeChallengeMethod ?? 'plain';
  if (
    !isCodeChallengeMethod(method) ||
    !verifyCodeVerifier(method, grant.codeChallenge, verifier)
  ) {
    throw invalidGrant('code_verifier does not match the code challenge');
  }
}

/** The id_token; a client asking for an algorithm no key can sign is a server configuration fault. */
export async function signOrFail(
  deps: GrantDeps,
  input: Parameters<typeof signIdToken>[0],
): Promise<string> {
  try {
    return await signIdToken(input, deps.keystore, deps.clock);
  } catch (error) {
    if (error instanceof NoSigningKeyError) {
      throw new OAuthError('server_error', 'no key can sign the id_token for this client', {
        cause: error,
      });
    }
    throw error;
  }
}
