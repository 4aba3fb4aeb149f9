// `GET|POST /oauth2/userinfo` (OIDC Core §5.3). parse the Bearer access token (header, or the
// `access_token` form field of a POST, RFC 6750 §2.2) → check its shape → load token, session,
// user and client → check the token has `openid` → answer `{sub, username}` plus the claims the
// granted scopes release, as JSON, or as a signed JWT (with `iss` and `aud`) when the client
// registered `userinfo_signed_response_alg`.
//
// Token problems are 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../../clock.ts';
import { NoSigningKeyError, type Keystore } from '../../../crypto/keystore.ts';
import { checkToken, tokenHash } from '../../../crypto/tokens.ts';
import { isAccessTokenValid } from '../../../model/oauth2-token.ts';
import { isSessionActive } from '../../../model/oauth2-session.ts';
import { isUserActive } from '../../../model/user.ts';
import { OAUTH_PATHS } from '../../../oauth2/discovery.ts';
import { invalidRequest, OAuthError, sendOAuthError } from '../../../oauth2/errors.ts';
import { parseFormBody } from '../../../oauth2/form-params.ts';
import { idTokenAlgorithm } from '../../../oauth2/id-token.ts';
import { parseScope } from '../../../oauth2/scope.ts';
import { userClaims, emailsForClaims } from '../../../oauth2/token-issuer.ts';
import type { ActivityTracker } from '../../../services/activity-tracker.ts';
import type { Storage } from '../../../storage/storage.ts';

export interface UserinfoDeps {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly keystore: Keystore;
  readonly issuer: string;
  readonly activity: ActivityTracker;
}

const invalidToken = (detail: string): OAuthError =>
  new OAuthError('invalid_token', 'the access token is invalid', {
    detail,
    wwwAuthenticate:
      'Bearer error="invalid_token", error_description="the access token is invalid"',
  });

export function registerUserinfo(app: FastifyInstance, deps: UserinfoDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      // parse
      const token = bearerToken(request);
      if (checkToken(token) !== 'accessToken') throw invalidToken('malformed token');

      // load and check
      const found = await deps.storage.transaction(async (repos) => {
        const accessToken = await repos.accessTokens.findByHash(tokenHash(token));
        if (accessToken === null || !isAccessTokenValid(accessToken, deps.clock.now())) {
          throw invalidToken('unknown, expired or revoked token');
        }
        const session = await repos.oauth2Sessions.lookup(accessToken.sessionId);
        if (session === null || !isSessionActive(session)) throw invalidToken('session ended');
        if (session.userId === null) throw invalidToken('token without a user');
        const user = await repos.users.lookup(session.userId);
        if (user === null || !isUserActive(user)) throw invalidToken('user inactive');
        const client = await repos.oauth2Clients.lookup(session.clientId);
        if (client === null) throw invalidToken('client deleted');
        const emails = await emailsForClaims(repos, user, parseScope(session.scope));
        return { accessToken, session, user, client, emails };
      });
      const scopes = parseScope(found.session.scope);
      if (!scopes.includes('openid')) {
        throw new OAuthError('insufficient_scope', 'the access token lacks the openid scope', {
          wwwAuthenticate: 'Bearer error="insufficient_scope", scope="openid"',
        });
      }
      deps.activity.recordAccessTokenUse(found.session.id, found.accessToken.id, request.ip);

      // respond
      const claims: Record<string, unknown> = {
        sub: found.user.id,
        username: found.user.username,
        ...userClaims(found.user, scopes, found.emails),
      };
      const alg = found.client.userinfoSignedResponseAlg;
      if (alg === null) {
        return reply
          .header('cache-control', 'no-store')
          .type('application/json; charset=utf-8')
          .send(claims);
      }
      const jwt = await signUserinfo(deps, alg, {
        ...claims,
        iss: deps.issuer,
        aud: found.client.id,
      });
      return reply.header('cache-control', 'no-store').type('application/jwt').send(jwt);
    } catch (error) {
      return sendOAuthError(reply, error);
    }
  };
  app.get(OAUTH_PATHS.userinfo, handler);
  app.post(OAUTH_PATHS.userinfo, handler);
}

/** RFC 6750 §2.1 header, or §2.2 form field on POST; exactly one of them. */
function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  let fromForm: string | undefined;
  if (request.method === 'POST' && request.body !== undefined && request.body !== '') {
    fromForm = parseFormBody(request.headers['content-type'], request.body).get('access_token');
  }
  if (header !== undefined) {
    if (fromForm !== undefined) throw invalidRequest('send the access token only once');
    const match = /^bearer\s+(\S+)\s*$/i.exec(header.trim());
    if (match === null) throw invalidToken('malformed Authorization header');
    return match[1]!;
  }
  if (fromForm !== undefined) return fromForm;
  throw new OAuthError('invalid_request', 'an access token is required', {
    status: 401,
    wwwAuthenticate: 'Bearer',
  });
}

async function signUserinfo(
  deps: UserinfoDeps,
  alg: string,
  payload: Record<string, unknown>,
): Promise<string> {
  try {
    const algorithm = idTokenAlgorithm(alg);
    const key = deps.keystore.findKey(algorithm);
    if (key === null) throw new NoSigningKeyError(alg, undefined);
    return await deps.keystore.sign({ header: { typ: 'JWT' }, payload }, algorithm, key.kid);
  } catch (error) {
    if (error instanceof NoSigningKeyError) {
      throw new OAuthError('server_error', undefined, { cause: error });
    }
    throw error;
  }
}
