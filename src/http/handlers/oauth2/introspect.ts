// `POST /oauth2/introspect` (RFC 7662), what Synapse calls on every request it has not cached.
// parse → authenticate the caller (a confidential client, or the homeserver with
// `Authorization: Bearer <matrix.secret>` as MAS allows) → check the token's shape (no database
// access for a malformed token) → load token, session and user → answer.
//
// Any token that is malformed, unknown, expired, revoked, of an ended session or of a locked or
// deactivated user, or whose `token_type_hint` names the other kind, is a 200 `{"active":false}`.
// Active tokens get MAS's fields (absent ones left out, as MAS serialises them). Uses are recorded
// through the activity tracker in batches, never as a write per call.
//
// Compat tokens (`mct_`, `mcr_`) are answered by ../compat/introspect-compat-token.ts, personal
// access tokens (`mpt_`) by ./introspect-personal-token.ts.
//
// Hot path: the homeserver's questions about access tokens (OAuth 2.0, personal and compat) are
// answered from the introspection cache (src/services/introspection-cache.ts) when an active
// answer was given moments ago; every place that ends a session or revokes a token invalidates it
// (and, on PostgreSQL, other nodes').

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkToken, tokenHash, type TokenKind } from '../../../crypto/tokens.ts';
import { isPublicClient } from '../../../model/oauth2-client.ts';
import type { OAuth2Session } from '../../../model/oauth2-session.ts';
import {
  isAccessTokenValid,
  isRefreshTokenUsable,
  type AccessToken,
} from '../../../model/oauth2-token.ts';
import {
  digestMatches,
  secretDigest,
  type ClientCredentials,
} from '../../../oauth2/client-auth.ts';
import { activeOwnerOf, activeSessionOwner } from '../../../services/session-owner.ts';
import { OAUTH_PATHS } from '../../../oauth2/discovery.ts';
import { introspectCompatToken } from '../compat/introspect-compat-token.ts';
import { introspectPersonalToken } from './introspect-personal-token.ts';
import type { CompatSessionId } from '../../../model/compat-session.ts';
import type { PersonalSessionId } from '../../../model/personal-session.ts';
import {
  invalidClient,
  invalidRequest,
  OAuthError,
  sendOAuthError,
} from '../../../oauth2/errors.ts';
import { parseFormBody } from '../../../oauth2/form-params.ts';
import { deviceIdOfScope, normaliseMatrixScope } from '../../../oauth2/matrix-scopes.ts';
import type { ActivityTracker } from '../../../services/activity-tracker.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
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
  /** Active answers given to the homeserver recently; without it every call reads the database. */
  readonly introspectionCache?: IntrospectionCache | undefined;
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
  compatAccessToken: 'access_token',
  compatRefreshToken: 'refresh_token',
  personalAccessToken: 'access_token',
};

export function registerIntrospect(app: FastifyInstance, deps: IntrospectDeps): void {
  // The homeserver's secret is compared on every call: digested once.
  const secretDigestOrNull =
    deps.homeserverSecret === null ? null : secretDigest(deps.homeserverSecret);
  // Not an async function: an answer from the cache is sent at once, without a promise per call;
  // everything else goes on in `answerFromStorage`.
  app.post(OAUTH_PATHS.introspection, (request, reply) => {
    let parsed: ParsedIntrospection;
    try {
      parsed = parseIntrospection(request, secretDigestOrNull, deps);
      // The homeserver is already authenticated: a token of no known shape (a bad checksum, say)
      // is inactive without a database transaction.
      if (parsed.credentials === null && !parsed.shapeOk) {
        sendNoStoreJson(reply, INACTIVE);
        return;
      }
      // the hot path: an access token the homeserver asked about moments ago
      if (parsed.cacheKey !== null) {
        const cached = cachedAnswer(parsed.cacheKey, deps);
        if (cached !== null) {
          sendNoStoreJson(reply, forCaller(request, cached));
          return;
        }
      }
    } catch (error) {
      sendOAuthError(reply, error);
      return;
    }
    return answerFromStorage(request, reply, parsed, deps);
  });
}

interface ParsedIntrospection {
  readonly token: string;
  readonly kind: TokenKind | null;
  /** Well-formed, of a kind introspection answers for, and of the kind the hint names. */
  readonly shapeOk: boolean;
  /** Null when the caller is the homeserver (already authenticated by its secret). */
  readonly credentials: ClientCredentials | null;
  /** The introspection cache's key, when this answer may come from (or go to) the cache. */
  readonly cacheKey: string | null;
}

/** parse, authenticate the homeserver, check the token's shape: no database access. */
function parseIntrospection(
  request: FastifyRequest,
  secretDigestOrNull: Buffer | null,
  deps: IntrospectDeps,
): ParsedIntrospection {
  const homeserver = bearerCaller(request, secretDigestOrNull);
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
  const cacheKey =
    homeserver &&
    shapeOk &&
    (kind === 'accessToken' || kind === 'personalAccessToken' || kind === 'compatAccessToken') &&
    deps.introspectionCache !== undefined
      ? cacheKeyFor(request, token)
      : null;
  return { token, kind, shapeOk, credentials, cacheKey };
}

/** authenticate the client (if not the homeserver) → load → answer, in one read transaction. */
async function answerFromStorage(
  request: FastifyRequest,
  reply: FastifyReply,
  parsed: ParsedIntrospection,
  deps: IntrospectDeps,
): Promise<void> {
  const { token, kind, shapeOk, credentials, cacheKey } = parsed;
  try {
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
      // Legacy-login tokens: ../compat/introspect-compat-token.ts.
      if (kind === 'compatAccessToken' || kind === 'compatRefreshToken') {
        return introspectCompatToken(repos, token, kind, {
          clock: deps.clock,
          supportsDeviceId: supportsDeviceId(request),
          recordUse: (session) => deps.activity.recordCompatSessionActivity(session.id, null),
          cache:
            cacheKey === null || deps.introspectionCache === undefined
              ? null
              : { key: cacheKey, cache: deps.introspectionCache },
        });
      }
      // Personal access tokens: ./introspect-personal-token.ts.
      if (kind === 'personalAccessToken') {
        return introspectPersonalToken(repos, token, deps, cacheKey);
      }
      return kind === 'accessToken'
        ? introspectAccessToken(repos, token, deps, cacheKey, supportsDeviceId(request))
        : introspectRefreshToken(repos, token, deps);
    });
    sendNoStoreJson(reply, forCaller(request, body));
  } catch (error) {
    sendOAuthError(reply, error);
  }
}

/**
 * True when the caller is the homeserver (Bearer with `matrix.secret`). A Bearer with anything
 * else is refused as MAS does (401 `access_denied`).
 */
function bearerCaller(request: FastifyRequest, secretDigestOrNull: Buffer | null): boolean {
  const header = request.headers.authorization;
  if (header === undefined) return false;
  const match = /^bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (match === null) return false;
  if (secretDigestOrNull === null || !digestMatches(secretDigestOrNull, match[1]!)) {
    throw new OAuthError('access_denied', 'the bearer token presented is invalid', {
      status: 401,
      wwwAuthenticate: 'Bearer error="invalid_token"',
    });
  }
  return true;
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * The token's hash plus every request header that changes the answer, so two callers asking
 * differently never share an entry.
 */
function cacheKeyFor(request: FastifyRequest, token: string): string {
  const deviceIdHeader = request.headers['x-mas-supports-device-id'];
  return `${tokenHash(token)}|${typeof deviceIdHeader === 'string' ? deviceIdHeader : ''}`;
}

/** A cached active answer with `expires_in` brought up to date, its use recorded; or null. */
function cachedAnswer(key: string, deps: IntrospectDeps): IntrospectionResponse | null {
  const cached = deps.introspectionCache!.get(key);
  if (cached === undefined) return null;
  const now = seconds(deps.clock.now());
  if (cached.exp !== null && cached.exp <= now) return null;
  switch (cached.kind) {
    case 'oauth2':
      deps.activity.recordAccessTokenUse(
        cached.sessionId as OAuth2Session['id'],
        cached.tokenId as AccessToken['id'],
        null,
      );
      break;
    case 'personal':
      deps.activity.recordPersonalSessionActivity(cached.sessionId as PersonalSessionId, null);
      break;
    case 'compat':
      deps.activity.recordCompatSessionActivity(cached.sessionId as CompatSessionId, null);
      break;
  }
  const body = { ...cached.body } as unknown as IntrospectionResponse;
  if (cached.exp !== null) body.expires_in = cached.exp - now;
  return body;
}

async function introspectAccessToken(
  repos: Repositories,
  token: string,
  deps: IntrospectDeps,
  cacheKey: string | null,
  deviceIdInBody: boolean,
): Promise<IntrospectionResponse> {
  const now = deps.clock.now();
  // Token, session and user in one statement (on PostgreSQL one round trip, not three).
  const found = await repos.accessTokenOwners.findByHash(tokenHash(token));
  if (found === null || !isAccessTokenValid(found.token, now)) return INACTIVE;
  const accessToken = found.token;
  const owner = activeOwnerOf(found.session, found.user);
  if (owner === null) return INACTIVE;
  // The introspecting party is the homeserver, not the user: no IP to record (as MAS).
  deps.activity.recordAccessTokenUse(owner.session.id, accessToken.id, null);
  const exp = accessToken.expiresAt === null ? null : seconds(accessToken.expiresAt);
  // Shaped for this caller here, once: the answer is cached as this caller is answered (the key
  // holds the header that decides it), and neither the cache's hits nor `forCaller` below rework
  // the scope again (they find no device left to move).
  const body = shapeFor(
    deviceIdInBody,
    describe(
      owner,
      'access_token',
      accessToken.createdAt,
      accessToken.id,
      exp === null ? null : { exp, expiresIn: Math.max(0, exp - seconds(now)) },
    ),
  );
  if (cacheKey !== null) {
    deps.introspectionCache?.set(
      cacheKey,
      {
        kind: 'oauth2',
        body: { ...body },
        sessionId: owner.session.id,
        tokenId: accessToken.id,
        exp,
      },
      {
        tokenId: accessToken.id,
        sessionId: owner.session.id,
        userId: owner.session.userId,
        browserSessionId: owner.session.browserSessionId,
      },
      accessToken.expiresAt,
    );
  }
  return body;
}

async function introspectRefreshToken(
  repos: Repositories,
  token: string,
  deps: IntrospectDeps,
): Promise<IntrospectionResponse> {
  const refreshToken = await repos.refreshTokens.findByHash(tokenHash(token));
  if (refreshToken === null || !isRefreshTokenUsable(refreshToken)) return INACTIVE;
  const owner = await activeSessionOwner(repos, refreshToken.sessionId);
  if (owner === null) return INACTIVE;
  deps.activity.recordSessionActivity(owner.session.id, null);
  return describe(owner, 'refresh_token', refreshToken.createdAt, refreshToken.id, null);
}

interface Owner {
  readonly session: OAuth2Session;
  readonly user: { readonly id: string; readonly username: string } | null;
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

/**
 * The answer as this caller understands it: a homeserver sending `X-MAS-Supports-Device-Id: 1`
 * (Synapse does) gets the device in `device_id` and not in the scope, as MAS answers it.
 */
function forCaller(request: FastifyRequest, body: IntrospectionResponse): IntrospectionResponse {
  return shapeFor(supportsDeviceId(request), body);
}

function supportsDeviceId(request: FastifyRequest): boolean {
  return request.headers['x-mas-supports-device-id'] === '1';
}

/** `forCaller` for a caller that does (or does not) take the device in `device_id`. */
function shapeFor(deviceIdInBody: boolean, body: IntrospectionResponse): IntrospectionResponse {
  if (!deviceIdInBody || !body.active || body.scope === undefined) return body;
  const deviceId = deviceIdOfScope(body.scope);
  if (deviceId === null) return body;
  return { ...body, scope: normaliseMatrixScope(body.scope, true), device_id: deviceId };
}
