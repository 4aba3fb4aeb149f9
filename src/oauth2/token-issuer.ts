// Issuing tokens for an OAuth 2.0 session: a fresh access token (and, for interactive grants, a
// refresh token paired with it), their lifetimes, and the token endpoint's JSON answer. Only the
// SHA-256 of each token is stored (src/crypto/tokens.ts); the tokens themselves exist only in the
// response. Also the user claims that the `profile` and `email` scopes release (id_token, userinfo).

import type { Clock } from '../clock.ts';
import { generateToken, tokenHash } from '../crypto/tokens.ts';
import type { OAuth2Session } from '../model/oauth2-session.ts';
import type { AccessToken, RefreshToken } from '../model/oauth2-token.ts';
import type { User } from '../model/user.ts';
import type { UserEmail } from '../model/user-email.ts';
import type { Rng } from '../rng.ts';
import type { Repositories } from '../storage/storage.ts';

/** Authorization codes: 10 minutes after fulfilment (MAS). */
export const AUTHORIZATION_CODE_LIFETIME_SECONDS = 600;
/** A code presented again this long after its exchange ends the session it created (MAS). */
export const CODE_REUSE_GRACE_SECONDS = 20;
/** `experimental.access_token_ttl` when the config does not say (MAS: 300 s). */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 300;

/** The successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  scope: string;
  id_token?: string;
}

export interface IssuedTokens {
  readonly accessToken: string;
  readonly accessTokenRow: AccessToken;
  readonly refreshToken: string | null;
  readonly refreshTokenRow: RefreshToken | null;
  readonly expiresIn: number;
}

export interface IssueDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  /** Access token lifetime in seconds. */
  readonly accessTokenTtl: number;
}

export function accessTokenTtl(config: { experimental?: { access_token_ttl?: number } }): number {
  return config.experimental?.access_token_ttl ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
}

/** Adds an access token, and a refresh token paired with it when `withRefreshToken`. */
export async function issueTokens(
  repos: Pick<Repositories, 'accessTokens' | 'refreshTokens'>,
  session: OAuth2Session,
  deps: IssueDeps,
  withRefreshToken: boolean,
): Promise<IssuedTokens> {
  const accessToken = generateToken('accessToken', deps.rng);
  const refreshToken = withRefreshToken ? generateToken('refreshToken', deps.rng) : null;
  const expiresAt = new Date(deps.clock.now().getTime() + deps.accessTokenTtl * 1000);
  const accessTokenRow = await repos.accessTokens.add(
    deps.rng,
    deps.clock,
    session,
    tokenHash(accessToken),
    expiresAt,
  );
  const refreshTokenRow =
    refreshToken === null
      ? null
      : await repos.refreshTokens.add(
          deps.rng,
          deps.clock,
          session,
          tokenHash(refreshToken),
          accessTokenRow,
        );
  return {
    accessToken,
    accessTokenRow,
    refreshToken,
    refreshTokenRow,
    expiresIn: deps.accessTokenTtl,
  };
}

/** The JSON body for `issued`, with the granted scope and an optional id_token. */
export function tokenResponse(
  issued: IssuedTokens,
  scope: string,
  idToken: string | null = null,
): TokenResponse {
  const body: TokenResponse = {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    scope,
  };
  if (issued.refreshToken !== null) body.refresh_token = issued.refreshToken;
  if (idToken !== null) body.id_token = idToken;
  return body;
}

/**
 * Claims about the user released by the granted scopes (OIDC Core §5.4): `profile` gives
 * `preferred_username` (and `name` once users have display names); `email` gives `email` (the
 * user's first address) and `email_verified` (always true: only verified addresses are stored).
 * Claims without a value are left out.
 */
export function userClaims(
  user: User,
  scopes: readonly string[],
  emails: readonly UserEmail[] = [],
): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile')) {
    claims.preferred_username = user.username;
  }
  if (scopes.includes('email') && emails.length > 0) {
    claims.email = emails[0]!.email;
    claims.email_verified = true;
  }
  return claims;
}

/** The addresses `userClaims` needs: loaded only when the `email` scope was granted. */
export async function emailsForClaims(
  repos: Pick<Repositories, 'userEmails'>,
  user: User,
  scopes: readonly string[],
): Promise<UserEmail[]> {
  return scopes.includes('email') ? repos.userEmails.listForUser(user) : [];
}
