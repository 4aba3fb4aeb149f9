// Who may call the Admin API: `Authorization: Bearer <access token>` whose OAuth 2.0 session is
// active and holds `urn:mas:admin` (client_credentials for `policy.data.admin_clients`, or an
// interactive admin). The token is looked up exactly as introspection does (its shape first, then
// the hash, validity, the session and its user); missing or invalid is 401, no scope is 403.

import { checkToken, tokenHash } from '../../../crypto/tokens.ts';
import type { OAuth2Session } from '../../../model/oauth2-session.ts';
import { isAccessTokenValid } from '../../../model/oauth2-token.ts';
import { activeSessionOwner } from '../../../services/session-owner.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { AdminError } from './admin-error.ts';

export const ADMIN_SCOPE = 'urn:mas:admin';

/** The bearer token of the request; 401 when there is none. */
export function bearerToken(header: string | undefined): string {
  const match = header === undefined ? null : /^bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (match === null) throw new AdminError(401, 'Missing or invalid access token');
  return match[1]!;
}

/** The admin session behind `token`; 401 when it is not an active token, 403 without the scope. */
export async function authenticateAdmin(
  repos: Repositories,
  token: string,
  now: Date,
): Promise<OAuth2Session> {
  const invalid = new AdminError(401, 'Invalid access token');
  if (checkToken(token) !== 'accessToken') throw invalid;
  const accessToken = await repos.accessTokens.findByHash(tokenHash(token));
  if (accessToken === null || !isAccessTokenValid(accessToken, now)) throw invalid;
  const owner = await activeSessionOwner(repos, accessToken.sessionId);
  if (owner === null) throw invalid;
  const { session } = owner;
  if (!session.scope.split(' ').includes(ADMIN_SCOPE)) {
    throw new AdminError(403, `The access token does not have the ${ADMIN_SCOPE} scope`);
  }
  return session;
}
