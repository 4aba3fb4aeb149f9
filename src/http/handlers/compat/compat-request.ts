// What the compat handlers share: their dependencies, reading a JSON body as Matrix clients send
// it (bodies reach the handlers as raw strings, see resources/compat.ts), and authenticating a
// request by its compat access token.

import type { FastifyRequest } from 'fastify';
import type { Clock } from '../../../clock.ts';
import type { RootConfig } from '../../../config/root.ts';
import type { PasswordManager } from '../../../crypto/password-manager.ts';
import { checkToken, tokenHash } from '../../../crypto/tokens.ts';
import type { HomeserverConnection } from '../../../matrix/homeserver-connection.ts';
import {
  isCompatAccessTokenValid,
  isCompatSessionActive,
  type CompatAccessToken,
  type CompatSession,
} from '../../../model/compat-session.ts';
import { isUserActive, type User } from '../../../model/user.ts';
import type { RateLimiter } from '../../../rate-limit/rate-limiter.ts';
import type { Rng } from '../../../rng.ts';
import type { Repositories, Storage } from '../../../storage/storage.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import type { UrlBuilder } from '../../url-builder.ts';
import { badJson, missingToken, notJson, unknownToken } from './matrix-error.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';

/** The homeserver calls the compat layer makes. */
export type CompatHomeserver = Pick<HomeserverConnection, 'upsertDevice' | 'deleteDevice'>;

export interface CompatDeps {
  readonly config: RootConfig;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly passwords: PasswordManager;
  readonly urls: UrlBuilder;
  readonly logger: Logger;
  /** The `login` limits apply to password logins here as on the login page. */
  readonly rateLimiter: RateLimiter;
  /** The Matrix server name (`matrix.homeserver`): user ids are `@localpart:<serverName>`. */
  readonly serverName: string;
  /** Null when Gatehouse has no connection to the homeserver (devices are then not pushed). */
  readonly homeserver: CompatHomeserver | null;
  /** Sessions a login ends (device replacement, session-limit eviction) leave this cache too. */
  readonly introspectionCache?: IntrospectionCache | undefined;
}

export type JsonObject = Record<string, unknown>;

/** The request body as a JSON object: `M_NOT_JSON` when it does not parse, `M_BAD_JSON` when not an object. */
export function jsonBody(request: FastifyRequest): JsonObject {
  const raw = request.body;
  if (typeof raw !== 'string' || raw.trim() === '') throw notJson();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw notJson();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badJson('The body must be a JSON object');
  }
  return parsed as JsonObject;
}

/** `body[key]` when it is a string; undefined when absent; `M_BAD_JSON` when of another type. */
export function optionalString(body: JsonObject, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badJson(`${key} must be a string`);
  return value;
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badJson(`${key} must be a boolean`);
  return value;
}

/** The Bearer token of the request (header, or the legacy `access_token` query parameter). */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^bearer\s+(\S+)\s*$/i.exec(header.trim());
    if (match === null) throw unknownToken('Invalid Authorization header');
    return match[1]!;
  }
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.access_token;
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery;
  throw missingToken();
}

export interface CompatCaller {
  readonly token: CompatAccessToken;
  readonly session: CompatSession;
  readonly user: User;
}

/**
 * The compat session the access token belongs to, or `M_UNKNOWN_TOKEN` (OAuth 2.0 tokens too:
 * only compat sessions are ended through these endpoints, as MAS).
 */
export async function authenticateCompatToken(
  repos: Repositories,
  clock: Clock,
  token: string,
): Promise<CompatCaller> {
  if (checkToken(token) !== 'compatAccessToken') throw unknownToken();
  const accessToken = await repos.compatAccessTokens.findByHash(tokenHash(token));
  if (accessToken === null || !isCompatAccessTokenValid(accessToken, clock.now())) {
    throw unknownToken();
  }
  const session = await repos.compatSessions.lookup(accessToken.sessionId);
  if (session === null || !isCompatSessionActive(session)) throw unknownToken();
  const user = await repos.users.lookup(session.userId);
  if (user === null || !isUserActive(user)) throw unknownToken();
  return { token: accessToken, session, user };
}
