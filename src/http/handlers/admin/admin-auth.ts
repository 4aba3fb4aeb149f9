// Who may call the Admin API: `Authorization: Bearer <token>` that holds `urn:mas:admin`, either
// an OAuth 2.0 access token (`mat_`: client_credentials for `policy.data.admin_clients`, or an
// interactive admin) whose session is active, or a personal access token (`mpt_`) that is live
// (services/personal-sessions.ts), as MAS accepts both. The token is looked up exactly as
// introspection does (its shape first, then the hash, validity, the session and its user);
// missing or invalid is 401, no scope is 403.

import { checkToken, tokenHash } from '../../../crypto/tokens.ts';
import type { OAuth2Session } from '../../../model/oauth2-session.ts';
import { isAccessTokenValid } from '../../../model/oauth2-token.ts';
import type { PersonalSession } from '../../../model/personal-session.ts';
import { livePersonalToken } from '../../../services/personal-sessions.ts';
import { activeOwnerOf } from '../../../services/session-owner.ts';
import type { Repositories } from '../../../storage/storage.ts';
import { AdminError } from './admin-error.ts';

export const ADMIN_SCOPE = 'urn:mas:admin';

/** The session an Admin API call was made with (MAS `CallerSession`). */
export type AdminCaller =
  | { readonly kind: 'oauth2'; readonly session: OAuth2Session }
  | { readonly kind: 'personal'; readonly session: PersonalSession };

/** The bearer token of the request; 401 when there is none. */
export function bearerToken(header: string | undefined): string {
  const match = header === undefined ? null : /^bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (match === null) throw new AdminError(401, 'Missing or invalid access token');
  return match[1]!;
}

/** The admin session behind `token`; 401 when it is not a live token, 403 without the scope. */
export async function authenticateAdmin(
  repos: Repositories,
  token: string,
  now: Date,
): Promise<AdminCaller> {
  const caller = await callerOf(repos, token, now);
  if (caller === null) throw new AdminError(401, 'Invalid access token');
  if (!caller.session.scope.split(' ').includes(ADMIN_SCOPE)) {
    throw new AdminError(403, `The access token does not have the ${ADMIN_SCOPE} scope`);
  }
  return caller;
}

async function callerOf(
  repos: Repositories,
  token: string,
  now: Date,
): Promise<AdminCaller | null> {
  const kind = checkToken(token);
  if (kind === 'personalAccessToken') {
    const live = await livePersonalToken(repos, token, now);
    return live === null ? null : { kind: 'personal', session: live.session };
  }
  if (kind !== 'accessToken') return null;
  const found = await repos.accessTokenOwners.findByHash(tokenHash(token));
  if (found === null || !isAccessTokenValid(found.token, now)) return null;
  const owner = activeOwnerOf(found.session, found.user);
  return owner === null ? null : { kind: 'oauth2', session: owner.session };
}
