// POST /_matrix/client/{v3,r0}/refresh with `{refresh_token}` (MAS: compat/refresh.rs): a new
// `mct_`/`mcr_` pair for the session; the refresh token is consumed and the access token issued
// with it revoked. An unknown, malformed, consumed or revoked refresh token, or one of an ended
// session, is 401 `M_UNKNOWN_TOKEN` with `soft_logout: false` (the client must log in again).

import type { FastifyInstance } from 'fastify';
import { checkToken, tokenHash } from '../../../crypto/tokens.ts';
import {
  isCompatRefreshTokenUsable,
  isCompatSessionActive,
} from '../../../model/compat-session.ts';
import { isUserActive } from '../../../model/user.ts';
import { issueCompatTokens } from '../../../services/compat-sessions.ts';
import { StateConflictError } from '../../../storage/state-conflict-error.ts';
import { jsonBody, optionalString, type CompatDeps } from './compat-request.ts';
import { CLIENT_PREFIXES } from './login.ts';
import { missingParam, sendMatrixError, unknownToken } from './matrix-error.ts';

export function registerRefresh(app: FastifyInstance, deps: CompatDeps): void {
  for (const prefix of CLIENT_PREFIXES) {
    app.post(`${prefix}/refresh`, async (request, reply) => {
      try {
        // parse; the shape is checked before any database access
        const token = optionalString(jsonBody(request), 'refresh_token');
        if (token === undefined || token === '') throw missingParam('refresh_token');
        if (checkToken(token) !== 'compatRefreshToken') throw unknownToken('Invalid refresh token');

        const issued = await deps.storage.transaction(async (repos) => {
          // load → check
          const refresh = await repos.compatRefreshTokens.findByHash(tokenHash(token));
          if (refresh === null || !isCompatRefreshTokenUsable(refresh)) {
            throw unknownToken('Invalid refresh token');
          }
          const session = await repos.compatSessions.lookup(refresh.sessionId);
          if (session === null || !isCompatSessionActive(session)) {
            throw unknownToken('Invalid refresh token');
          }
          const user = await repos.users.lookup(session.userId);
          if (user === null || !isUserActive(user)) throw unknownToken('Invalid refresh token');

          // mutate → save
          try {
            await repos.compatRefreshTokens.consume(deps.clock, refresh);
          } catch (error) {
            // Used by a concurrent request.
            if (error instanceof StateConflictError) throw unknownToken('Invalid refresh token');
            throw error;
          }
          if (refresh.accessTokenId !== null) {
            const previous = await repos.compatAccessTokens.lookup(refresh.accessTokenId);
            if (previous !== null) {
              await repos.compatAccessTokens.revoke(deps.clock, previous);
              await deps.introspectionCache?.invalidate({ accessToken: previous.id });
            }
          }
          return issueCompatTokens(repos, deps, session, deps.config.experimental.compat_token_ttl);
        });

        return reply.header('cache-control', 'no-store').send({
          access_token: issued.accessToken,
          refresh_token: issued.refreshToken,
          expires_in_ms: issued.expiresInMs,
        });
      } catch (error) {
        return sendMatrixError(reply, error, request.log);
      }
    });
  }
}
