// `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client acting for itself. The
// session has no user and the answer has no refresh token. Scopes about a user (`openid`, `email`,
// `profile`) mean nothing here and are dropped; Matrix client and Synapse admin scopes are for
// interactive grants only (MAS's policy) and are refused; `urn:mas:admin` only for the clients
// listed in `policy.data.admin_clients`.

import { isPublicClient, type OAuth2Client } from '../../../../model/oauth2-client.ts';
import { OAuthError } from '../../../../oauth2/errors.ts';
import { formatScope, parseScope } from '../../../../oauth2/scope.ts';
import { accessTokenTtl, issueTokens, tokenResponse } from '../../../../oauth2/token-issuer.ts';
import type { GrantHandler } from './grant.ts';

const USER_SCOPES = new Set(['openid', 'email', 'profile']);
const INTERACTIVE_ONLY = [
  /^urn:matrix:client:/,
  /^urn:matrix:org\.matrix\.msc2967\.client:/,
  /^urn:synapse:admin:/,
];
const ADMIN_SCOPE = 'urn:mas:admin';

export const clientCredentialsGrant: GrantHandler = async (repos, request, deps) => {
  // check
  if (isPublicClient(request.client)) {
    throw new OAuthError('unauthorized_client', 'only confidential clients may use this grant');
  }
  // parse
  const scopes = parseScope(request.params.get('scope')).filter((s) => !USER_SCOPES.has(s));
  for (const scope of scopes) {
    if (INTERACTIVE_ONLY.some((pattern) => pattern.test(scope))) {
      throw new OAuthError('invalid_scope', `scope ${scope} needs a user`);
    }
    if (scope === ADMIN_SCOPE && !isAdminClient(request.client, deps.config.policy.data)) {
      throw new OAuthError('invalid_scope', `this client may not request ${ADMIN_SCOPE}`);
    }
  }
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

function isAdminClient(client: OAuth2Client, data: Readonly<Record<string, unknown>>): boolean {
  const admins = data.admin_clients;
  return Array.isArray(admins) && admins.includes(client.id);
}
