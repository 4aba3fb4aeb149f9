// `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client acting for itself. The
// session has no user and the answer has no refresh token. Scopes about a user (`openid`, `email`,
// `profile`) mean nothing here and are dropped; the rest goes through the grant policy
// (src/oauth2/grant-policy.ts): Matrix client and Synapse admin scopes are for interactive grants
// only and are refused; `urn:mas:admin` only for the clients listed in `policy.data.admin_clients`.

import { isPublicClient } from '../../../../model/oauth2-client.ts';
import { enforceGrantPolicy, grantPolicyConfig } from '../../../../oauth2/grant-policy.ts';
import { OAuthError } from '../../../../oauth2/errors.ts';
import { formatScope, parseScope } from '../../../../oauth2/scope.ts';
import { accessTokenTtl, issueTokens, tokenResponse } from '../../../../oauth2/token-issuer.ts';
import type { GrantHandler } from './grant.ts';

const USER_SCOPES = new Set(['openid', 'email', 'profile']);

export const clientCredentialsGrant: GrantHandler = async (repos, request, deps) => {
  // check
  if (isPublicClient(request.client)) {
    throw new OAuthError('unauthorized_client', 'only confidential clients may use this grant');
  }
  // parse
  const scopes = parseScope(request.params.get('scope')).filter((s) => !USER_SCOPES.has(s));
  enforceGrantPolicy(
    { grant: 'client_credentials', scopes, clientId: request.client.id, user: null },
    grantPolicyConfig(deps.config),
  );
  const scope = formatScope(scopes);

  // mutate and save
  const session = await repos.oauth2Sessions.add(deps.rng, deps.clock, {
    clientId: request.client.id,
    userId: null,
    browserSessionId: null,
    scope,
    userAgent: request.userAgent,
  });
  const issued = await issueTokens(
    repos,
    session,
    { clock: deps.clock, rng: deps.rng, accessTokenTtl: accessTokenTtl(deps.config) },
    false,
  );

  // respond
  return tokenResponse(issued, session.scope);
};
