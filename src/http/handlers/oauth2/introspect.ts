// `POST /oauth2/introspect` (RFC 7662), what Synapse calls on every request it has not cached.
// parse → authenticate the caller (a confidential client, or the homeserver with
// `Authorization: Bearer <matrix.secret>` as MAS allows) → check the token's shape (no database
// access for a malformed token) → load token, session and user → answer.
//
// Any token that is malformed, unknown, expired, revoked, of an ended session or of a locked or
// deactivated user, or whose `token_type_hint` names the other kind, is a 200 `{"active":false}`.
// Active tokens get MAS's fields (absent ones left out, as MAS serialises them). Uses are recorded
// through the activity tracker in batches, never as a write per call.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkToken, tokenHash, type TokenKind } from '../../../crypto/tokens.ts';
import { isPublicClient } from '../../../model/oauth2-client.ts';
import { isSessionActive, type OAuth2Session } from '../../../model/oauth2-session.ts';
import { isAccessTokenValid, isRefreshTokenUsable } from '../../../model/oauth2-token.ts';
import { isUserActive } from '../../../model/user.ts';
import { secretMatches } from '../../../oauth2/client-auth.ts';
import { OAUTH_PATHS } from '../../../oauth2/discovery.ts';
import {
  invalidClient,
  invalidRequest,
  OAuthError,
  sendOAuthError,
} from '../../../oauth2/errors.ts';
import { parseFormBody } from '../../../oauth2/form-params.ts';
import { parseScope } from '../../../oauth2/scope.ts';
import type { ActivityTracker } from '../../../services/activity-tracker.ts';
import type { Repositories, Storage } from '../../../storage/storage.ts';
import {
  authenticateEndpointClient,
  readClientRequest,
  sendNoStoreJson,
  type ClientRequestDeps,
} from './client-request.ts';

export interface IntrospectDeps extends ClientRequestDeps {
  readonly storage: Storage;
  readonly activity: ActivityTracker;
  /** `matrix.secret`: the homeserver may introspect with it as a Bearer token; null without one. */
  readonly homeserverSecret: string | null;
}

export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  token_type?: 'access_token' | 'refresh_token';
  exp?: number;
  expires_in?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  jti?: string;
  device_id?: string;
}

const INACTIVE: IntrospectionResponse = { active: false };

const HINTS: Partial<Record<TokenKind, string>> = {
  accessToken: 'access_token',
  refreshToken: 'refresh_token',
};

export function registerIntrospect(app: FastifyInstance, deps: IntrospectDeps): void {
  app.post(OAUTH_PATHS.introspection, async (request, reply) => {
    try {
      // parse and authenticate
      const homeserver = bearerCaller(request, deps.homeserverSecret);
      const { params, credentials } = homeserver
        ? {
            params: parseFormBody(request.headers['content-type'], request.body),
            credentials: null,
          }
        : readClientRequest(request);
      const token = params.get('token');
      if (token === undefined) throw invalidRequest('token is required');
      const hint = params.get('token_type_hint');

      // check the shape before any database access
      const kind = checkToken(token);
      const shapeOk =
        kind !== null && HINTS[kind] !== undefined && (hint === undefined || hint === HINTS[kind]);

      const body = await deps.storage.transaction(async (repos) => {
        if (credentials !== null) {
          const client = await authenticateEndpointClient(
            repos,
            credentials,
            deps,
            OAUTH_PATHS.introspection,
          );
          if (isPublicClient(client)) {
            throw invalidClient('public clients may not introspect tokens');
          }
        }
        if (!shapeOk) return INACTIVE;
        return kind === 'accessToken'
          ? introspectAccessToken(repos, token, deps)
          : introspectRefreshToken(repos, token, deps);
      });
      return sendNoStoreJson(reply, body);
    } catch (error) {
      return sendOAuthError(reply, error);
    }
  });
}

/**
 * True when the caller is the homeserver (Bearer with `matrix.secret`). A Bearer with anything
 * else is refused as MAS does (401 `access_denied`).
 */
function bearerCaller(request: FastifyRequest, secret: string | null): boolean {
  const header = request.headers.authorization;
  if (header === undefined) return false;
  const match = /^bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (match === null) return false;
  if (secret === null || !secretMatches(secret, match[1]!)) {
    throw new OAuthError('access_denied', 'the bearer token presented is invalid', {
      status: 401,
      wwwAuthenticate: 'Bearer error="invalid_token"',
    });
  }
  return true;
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

async function introspectAccessToken(
  repos: Repositories,
  token: string,
  deps: IntrospectDeps,
): Promise<IntrospectionResponse> {
  const now = deps.clock.now();
  const accessToken = await repos.accessTokens.findByHash(tokenHash(token));
  if (accessToken === null || !isAccessTokenValid(accessToken, now)) return INACTIVE;
  const owner = await activeOwner(repos, accessToken.sessionId);
  if (owner === null) return INACTIVE;
  // The introspecting party is the homeserver, not the user: no IP to record (as MAS).
  deps.activity.recordAccessTokenUse(owner.session.id, accessToken.id, null);
  const exp = accessToken.expiresAt === null ? null : seconds(accessToken.expiresAt);
  return describe(
    owner,
    'access_token',
    accessToken.createdAt,
    accessToken.id,
    exp === null ? null : { exp, expiresIn: Math.max(0, exp - seconds(now)) },
  );
}

async function introspectRefreshToken(
  repos: Repositories,
  token: string,
  deps: IntrospectDeps,
): Promise<IntrospectionResponse> {
  const refreshToken = await repos.refreshTokens.findByHash(tokenHash(token));
  if (refreshToken === null || !isRefreshTokenUsable(refreshToken)) return INACTIVE;
  const owner = await activeOwner(repos, refreshToken.sessionId);
  if (owner === null) return INACTIVE;
  deps.activity.recordSessionActivity(owner.session.id, null);
  return describe(owner, 'refresh_token', refreshToken.createdAt, refreshToken.id, null);
}

interface Owner {
  readonly session: OAuth2Session;
  readonly user: { readonly id: string; readonly username: string } | null;
}

/** The token's session when it is active, with its user when that user may still use it. */
async function activeOwner(
  repos: Repositories,
  sessionId: OAuth2Session['id'],
): Promise<Owner | null> {
  const session = await repos.oauth2Sessions.lookup(sessionId);
  if (session === null || !isSessionActive(session)) return null;
  if (session.userId === null) return { session, user: null };
  const user = await repos.users.lookup(session.userId);
  if (user === null || !isUserActive(user)) return null;
  return { session, user };
}

/** MAS's fields, in MAS's order; absent values are left out as MAS serialises them. */
function describe(
  owner: Owner,
  tokenType: 'access_token' | 'refresh_token',
  createdAt: Date,
  jti: string,
  expiry: { exp: number; expiresIn: number } | null,
): IntrospectionResponse {
  const body: IntrospectionResponse = {
    active: true,
    scope: normaliseMatrixScope(owner.session.scope),
    client_id: owner.session.clientId,
  };
  if (owner.user !== null) body.username = owner.user.username;
  body.token_type = tokenType;
  if (expiry !== null) {
    body.exp = expiry.exp;
    body.expires_in = expiry.expiresIn;
  }
  body.iat = seconds(createdAt);
  body.nbf = seconds(createdAt);
  if (owner.user !== null) body.sub = owner.user.id;
  body.jti = jti;
  return body;
}

const STABLE_API = 'urn:matrix:client:api:*';
const UNSTABLE_API = 'urn:matrix:org.matrix.msc2967.client:api:*';
const STABLE_DEVICE = 'urn:matrix:client:device:';
const UNSTABLE_DEVICE = 'urn:matrix:org.matrix.msc2967.client:device:';

/**
 * The session's scope with the stable and unstable forms of the Matrix API and device scopes both
 * present, as MAS answers, so homeservers that know only one form understand it.
 */
export function normaliseMatrixScope(scope: string): string {
  const tokens = new Set(parseScope(scope));
  for (const token of [...tokens]) {
    if (token === STABLE_API) tokens.add(UNSTABLE_API);
    else if (token === UNSTABLE_API) tokens.add(STABLE_API);
    else if (token.startsWith(STABLE_DEVICE))
      tokens.add(UNSTABLE_DEVICE + token.slice(STABLE_DEVICE.length));
    else if (token.startsWith(UNSTABLE_DEVICE))
      tokens.add(STABLE_DEVICE + token.slice(UNSTABLE_DEVICE.length));
  }
  return [...tokens].sort().join(' ');
}
