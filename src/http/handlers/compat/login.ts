// GET and POST /_matrix/client/{v3,r0}/login: the legacy Matrix login (MAS: compat/login.rs).
//
// GET lists the flows. POST reads top to bottom: parse the JSON body → the login type's own
// check (a password, see ./login-password.ts, or a `loginToken` from the SSO flow, see
// ./login-token.ts) → one transaction that starts the compat session, replacing any session that
// held the device, issues its tokens and records the session's first activity with the client's
// address (MAS records activity at login too; each login type does it in that transaction) → the
// device created on the homeserver (the session is ended again if that fails) → the Matrix login
// response.
//
// A password login aborts its wait for a hashing slot when the client closes the connection
// first (`clientLeft`): under a burst of logins, clients that gave up (timed out, retried on a
// new connection) would otherwise have their queued checks run, 10+ ms of CPU each, ahead of the
// clients still waiting.
//
// Later activity is recorded when the homeserver introspects the session's tokens (through the
// activity tracker, as for OAuth 2.0 sessions; see ../oauth2/introspect.ts). The caller there is
// the homeserver, so the address recorded here at login is the last one known of the client.
//
// No `well_known` in the response, as MAS (which has never sent one): the spec makes it
// optional, and clients that get one reconfigure themselves to its `m.homeserver.base_url`. The
// only homeserver URL Gatehouse knows is `matrix.endpoint`, where Gatehouse itself reaches the
// homeserver (often an internal address such as http://localhost:8008/), not the public URL
// clients use, so sending it would point clients at an address they cannot reach.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { generateDeviceId, isValidDeviceId } from '../../../services/compat-sessions.ts';
import {
  jsonBody,
  optionalBoolean,
  optionalString,
  type CompatDeps,
  type JsonObject,
} from './compat-request.ts';
import { pushNewDevice } from './device-push.ts';
import { passwordLogin } from './login-password.ts';
import { tokenLogin } from './login-token.ts';
import {
  badJson,
  invalidParam,
  MatrixError,
  missingParam,
  sendMatrixError,
  unknown,
} from './matrix-error.ts';

/** The paths every compat endpoint answers on: the current and the r0 version prefix. */
export const CLIENT_PREFIXES = ['/_matrix/client/v3', '/_matrix/client/r0'] as const;

/** What both login types share once the credentials are known. */
export interface LoginRequest {
  readonly deviceId: string;
  readonly humanName: string | null;
  readonly userAgent: string | null;
  /** The client's address (the rate limits' key). */
  readonly ip: string;
  /** Seconds the access token lives when the client asked for a refresh token; else null. */
  readonly refreshableTtlSeconds: number | null;
}

export interface LoginResponse {
  user_id: string;
  access_token: string;
  device_id: string;
  home_server: string;
  expires_in_ms?: number;
  refresh_token?: string;
}

export function loginFlows(deps: Pick<CompatDeps, 'config'>): object {
  const flows: object[] = [];
  if (deps.config.passwords.enabled) flows.push({ type: 'm.login.password' });
  flows.push({
    type: 'm.login.sso',
    // Upstream identity providers are offered on the login page, not to legacy clients (as MAS).
    identity_providers: [],
    oauth_aware_preferred: true,
    'org.matrix.msc3824.delegated_oidc_compatibility': true,
  });
  flows.push({ type: 'm.login.token' });
  return { flows };
}

function loginRequest(request: FastifyRequest, body: JsonObject, deps: CompatDeps): LoginRequest {
  const given = optionalString(body, 'device_id');
  if (given !== undefined && !isValidDeviceId(given)) {
    throw invalidParam('device_id contains characters a device id may not use');
  }
  const userAgent = request.headers['user-agent'];
  return {
    deviceId: given ?? generateDeviceId(deps.rng),
    humanName: optionalString(body, 'initial_device_display_name') ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent : null,
    ip: request.ip,
    refreshableTtlSeconds:
      optionalBoolean(body, 'refresh_token') === true
        ? deps.config.experimental.compat_token_ttl
        : null,
  };
}

/** Aborts when the connection closes before the answer was written (the client left). */
function clientLeft(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function registerLogin(app: FastifyInstance, deps: CompatDeps): void {
  for (const prefix of CLIENT_PREFIXES) {
    app.get(`${prefix}/login`, async (_request, reply) =>
      reply.header('cache-control', 'no-store').send(loginFlows(deps)),
    );

    app.post(`${prefix}/login`, async (request, reply) => {
      try {
        // parse
        const body = jsonBody(request);
        const type = body.type;
        if (type === undefined) throw missingParam('type');
        if (typeof type !== 'string') throw badJson('type must be a string');
        const login = loginRequest(request, body, deps);

        // check the credentials, start the session and issue its tokens
        let started;
        if (type === 'm.login.password') {
          if (!deps.config.passwords.enabled) throw unknown('Unsupported login type');
          started = await passwordLogin(deps, body, login, clientLeft(reply));
        } else if (type === 'm.login.token') {
          started = await tokenLogin(deps, body, login);
        } else if (type === 'm.login.application_service') {
          throw new MatrixError(
            400,
            'M_APPSERVICE_LOGIN_UNSUPPORTED',
            'Application service login is not supported here: application services authenticate with their as_token',
          );
        } else {
          throw unknown(`Unsupported login type: ${type}`);
        }

        // the device exists on the homeserver before the client can use the token
        await pushNewDevice(deps, started.user, started.session);

        // respond
        const response: LoginResponse = {
          user_id: `@${started.user.username}:${deps.serverName}`,
          access_token: started.accessToken,
          device_id: started.session.deviceId,
          home_server: deps.serverName,
        };
        if (started.expiresInMs !== null) response.expires_in_ms = started.expiresInMs;
        if (started.refreshToken !== null) response.refresh_token = started.refreshToken;
        return reply.header('cache-control', 'no-store').send(response);
      } catch (error) {
        return sendMatrixError(reply, error, request.log);
      }
    });
  }
}
