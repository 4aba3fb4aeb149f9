// `POST /oauth2/revoke` (RFC 7009). parse → authenticate the client → check the token's shape →
// load the token and its session → check the session belongs to the client → end the session →
// 200 with an empty body.
//
// As in MAS, revoking any access or refresh token ends the whole OAuth 2.0 session (and so revokes
// every token of it); with a homeserver, a sync-devices job then removes the session's device.
// An unknown, malformed, already revoked or consumed token, or one whose `token_type_hint` names
// the other kind, is a 200 that changes nothing (RFC 7009 §2.2). A token of another client is
// refused with `unauthorized_client` (RFC 7009 §2.1, MAS), and an unknown hint value with
// `unsupported_token_type`.

import type { FastifyInstance } from 'fastify';
import { checkToken, tokenHash } from '../../../crypto/tokens.ts';
import type { OAuth2SessionId } from '../../../model/ids.ts';
import { isSessionActive } from '../../../model/oauth2-session.ts';
import { isAccessTokenValid, isRefreshTokenUsable } from '../../../model/oauth2-token.ts';
import { OAUTH_PATHS } from '../../../oauth2/discovery.ts';
import { invalidRequest, OAuthError, sendOAuthError } from '../../../oauth2/errors.ts';
import type { Rng } from '../../../rng.ts';
import { enqueueSyncDevices } from '../../../storage/matrix-jobs.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
import {
  authenticateEndpointClient,
  readClientRequest,
  type ClientRequestDeps,
} from './client-request.ts';

export interface RevokeDeps extends ClientRequestDeps {
  readonly storage: Storage;
  readonly introspectionCache?: IntrospectionCache | undefined;
  /** With a homeserver, ending a user's session queues a sync-devices job (removes its device). */
  readonly matrix?: boolean;
  readonly rng?: Rng;
}

const KNOWN_HINTS = new Set(['access_token', 'refresh_token']);

export function registerRevoke(app: FastifyInstance, deps: RevokeDeps): void {
  app.post(OAUTH_PATHS.revocation, async (request, reply) => {
    try {
      // parse
      const { params, credentials } = readClientRequest(request);
      const token = params.get('token');
      if (token === undefined) throw invalidRequest('token is required');
      const hint = params.get('token_type_hint');

      await deps.storage.transaction(async (repos) => {
        // authenticate
        const client = await authenticateEndpointClient(
          repos,
          credentials,
          deps,
          OAUTH_PATHS.revocation,
        );
        if (hint !== undefined && !KNOWN_HINTS.has(hint)) {
          throw new OAuthError('unsupported_token_type', 'this token type cannot be revoked');
        }
        // check the shape before any token lookup
        const kind = checkToken(token);
        const sessionId =
          kind === 'accessToken' && (hint === undefined || hint === 'access_token')
            ? await accessTokenSession(repos, token, deps)
            : kind === 'refreshToken' && (hint === undefined || hint === 'refresh_token')
              ? await refreshTokenSession(repos, token)
              : null;
        if (sessionId === null) return;

        // load and check
        const session = await repos.oauth2Sessions.lookup(sessionId);
        if (session === null || !isSessionActive(session)) return;
        if (session.clientId !== client.id) {
          throw new OAuthError('unauthorized_client', 'this token was issued to another client');
        }
        // mutate and save
        await repos.oauth2Sessions.finish(deps.clock, session);
        await deps.introspectionCache?.invalidate({ session: session.id });
        if (deps.matrix === true && deps.rng !== undefined && session.userId !== null) {
          await enqueueSyncDevices(repos.queue, deps.rng, deps.clock, session.userId);
        }
      });

      // respond
      return reply
        .code(200)
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .send();
    } catch (error) {
      return sendOAuthError(reply, error);
    }
  });
}

async function accessTokenSession(
  repos: Repositories,
  token: string,
  deps: RevokeDeps,
): Promise<OAuth2SessionId | null> {
  const accessToken = await repos.accessTokens.findByHash(tokenHash(token));
  if (accessToken === null || !isAccessTokenValid(accessToken, deps.clock.now())) return null;
  return accessToken.sessionId;
}

async function refreshTokenSession(
  repos: Repositories,
  token: string,
): Promise<OAuth2SessionId | null> {
  const refreshToken = await repos.refreshTokens.findByHash(tokenHash(token));
  if (refreshToken === null || !isRefreshTokenUsable(refreshToken)) return null;
  return refreshToken.sessionId;
}
