// `grant_type=refresh_token` (RFC 6749 §6), with rotation: every use issues a new access and
// refresh token, consumes the old refresh token (linking it to its successor) and revokes the old
// access token.
//
// MAS's "lost response" rule: a client whose refresh response got lost presents the consumed token
// again. That is accepted only when the successor refresh token is unused and the successor's
// access token was never used; the unused pair is then revoked and a new one issued. Anything else
// (a replay) is `invalid_grant`, and, as in MAS, the session is not ended.
//
// "Never used" is `first_used_at` in the database OR a use still waiting in the activity tracker's
// batch (src/services/activity-tracker.ts): introspection records first uses in batches, and a use
// seen a second ago must count.

import { checkToken, tokenHash } from '../../../../crypto/tokens.ts';
import { isSessionActive } from '../../../../model/oauth2-session.ts';
import type { RefreshToken } from '../../../../model/oauth2-token.ts';
import { isUserActive } from '../../../../model/user.ts';
import { invalidRequest, OAuthError } from '../../../../oauth2/errors.ts';
import { parseScope, scopeIncludes } from '../../../../oauth2/scope.ts';
import { accessTokenTtl, issueTokens, tokenResponse } from '../../../../oauth2/token-issuer.ts';
import type { Repositories } from '../../../../storage/storage.ts';
import type { GrantDeps, GrantHandler } from './grant.ts';

const invalidGrant = (detail: string): OAuthError =>
  new OAuthError('invalid_grant', 'the refresh token is invalid', { detail });

export const refreshTokenGrant: GrantHandler = async (repos, request, deps) => {
  // parse
  const presented = request.params.get('refresh_token');
  if (presented === undefined) throw invalidRequest('refresh_token is required');
  const requestedScope = parseScope(request.params.get('scope'));
  // The checksum rejects typos and other token kinds before any database access.
  if (checkToken(presented) !== 'refreshToken') throw invalidGrant('malformed token');

  // load
  const token = await repos.refreshTokens.findByHash(tokenHash(presented));
  if (token === null) throw invalidGrant('unknown token');
  const session = await repos.oauth2Sessions.lookup(token.sessionId);
  if (session === null || session.clientId !== request.client.id) {
    throw invalidGrant('token of another client');
  }

  // check
  if (!isSessionActive(session)) throw invalidGrant('session ended');
  if (session.userId !== null) {
    const user = await repos.users.lookup(session.userId);
    if (user === null || !isUserActive(user)) throw invalidGrant('user inactive');
  }
  if (token.revokedAt !== null) throw invalidGrant('token revoked');
  // RFC 6749 §6: a refresh may narrow the scope, never widen it. The session keeps its scope.
  if (!scopeIncludes(parseScope(session.scope), requestedScope)) {
    throw new OAuthError('invalid_scope', 'the requested scope exceeds the granted scope');
  }
  if (token.consumedAt !== null) await revokeLostResponse(repos, token, deps);

  // mutate and save
  const issued = await issueTokens(
    repos,
    session,
    { clock: deps.clock, rng: deps.rng, accessTokenTtl: accessTokenTtl(deps.config) },
    true,
  );
  await repos.refreshTokens.consume(deps.clock, token, issued.refreshTokenRow!);
  await revokeAccessToken(repos, token, deps);

  // respond
  return tokenResponse(issued, session.scope);
};

/**
 * The lost-response case, or `invalid_grant`: the successor refresh token must be unused and its
 * access token never used; then both are revoked.
 */
async function revokeLostResponse(
  repos: Repositories,
  token: RefreshToken,
  deps: GrantDeps,
): Promise<void> {
  if (token.nextRefreshTokenId === null) throw invalidGrant('consumed token without successor');
  const next = await repos.refreshTokens.lookup(token.nextRefreshTokenId);
  if (next === null || next.consumedAt !== null || next.revokedAt !== null) {
    throw invalidGrant('replayed token: its successor was used');
  }
  const nextAccess =
    next.accessTokenId === null ? null : await repos.accessTokens.lookup(next.accessTokenId);
  if (
    nextAccess !== null &&
    (nextAccess.firstUsedAt !== null || deps.activity.accessTokenUsed(nextAccess.id))
  ) {
    throw invalidGrant("replayed token: its successor's access token was used");
  }
  await repos.refreshTokens.revoke(deps.clock, next);
  if (nextAccess !== null && nextAccess.revokedAt === null) {
    await repos.accessTokens.revoke(deps.clock, nextAccess);
    await deps.introspectionCache?.invalidate({ accessToken: nextAccess.id });
  }
}

async function revokeAccessToken(
  repos: Repositories,
  token: RefreshToken,
  deps: GrantDeps,
): Promise<void> {
  if (token.accessTokenId === null) return;
  if (await repos.accessTokens.revokeUnrevoked(deps.clock, token.accessTokenId)) {
    await deps.introspectionCache?.invalidate({ accessToken: token.accessTokenId });
  }
}
