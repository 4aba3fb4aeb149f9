// `POST /oauth2/token` (RFC 6749 §3.2). Every grant goes through the same steps, here and only
// here, so no grant can skip one: parse the form (duplicates refused) → find the grant type →
// authenticate the client → check the client may use the grant → run the grant's handler inside
// ONE storage transaction → answer with `Cache-Control: no-store`. Grants live in ./grants/ (see
// ./grants/grant.ts for the contract and how to add one).
//
// Grants that create a Matrix device (code, device code) first find, with reads only, the device
// the exchange would create; it is created on the homeserver outside any transaction, then the
// grant runs in a second transaction (./grants/with-device.ts): a homeserver failure leaves no
// session behind.

import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../clock.ts';
import type { RootConfig } from '../../../config/root.ts';
import type { Encrypter } from '../../../crypto/encrypter.ts';
import type { Keystore } from '../../../crypto/keystore.ts';
import type { HomeserverConnection } from '../../../matrix/homeserver-connection.ts';
import { allowsGrant, type GrantType } from '../../../model/oauth2-client.ts';
import type { ClientJwksCache } from '../../../oauth2/client-jwks.ts';
import { OAUTH_PATHS } from '../../../oauth2/discovery.ts';
import { invalidRequest, OAuthError, sendOAuthError } from '../../../oauth2/errors.ts';
import type { Rng } from '../../../rng.ts';
import type { ActivityTracker } from '../../../services/activity-tracker.ts';
import type { IntrospectionCache } from '../../../services/introspection-cache.ts';
import { StateConflictError } from '../../../storage/state-conflict-error.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { UrlBuilder } from '../../url-builder.ts';
import {
  authenticateEndpointClient,
  readClientRequest,
  sendNoStoreJson,
} from './client-request.ts';
import { authorizationCodeDevice, authorizationCodeGrant } from './grants/authorization-code.ts';
import { clientCredentialsGrant } from './grants/client-credentials.ts';
import { deviceCodeDevice, deviceCodeGrant } from './grants/device-code.ts';
import type { DevicePreparer, GrantDeps, GrantHandler, GrantRequest } from './grants/grant.ts';
import { refreshTokenGrant } from './grants/refresh-token.ts';
import { exchangeWithDevice } from './grants/with-device.ts';

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code' satisfies GrantType;

/** One handler per grant type this server implements. */
const GRANTS: Partial<Record<GrantType, GrantHandler>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  [DEVICE_CODE]: deviceCodeGrant,
};

/** Grants whose exchange first creates the scope's Matrix device on the homeserver. */
const DEVICE_PREPARERS: Partial<Record<GrantType, DevicePreparer>> = {
  authorization_code: authorizationCodeDevice,
  [DEVICE_CODE]: deviceCodeDevice,
};

export interface TokenDeps {
  readonly config: RootConfig;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly encrypter: Encrypter;
  readonly keystore: Keystore;
  readonly urls: UrlBuilder;
  readonly jwks: ClientJwksCache;
  readonly activity: ActivityTracker;
  readonly introspectionCache?: IntrospectionCache | undefined;
  /** The homeserver new sessions' devices are created on; null without a `matrix` section. */
  readonly homeserver?: HomeserverConnection | null;
}

function grantHandler(grantType: string, config: RootConfig): GrantHandler | null {
  if (!Object.hasOwn(GRANTS, grantType)) return null;
  if (grantType === DEVICE_CODE && !config.oauth.device_code_grant_enabled) return null;
  return GRANTS[grantType as GrantType] ?? null;
}

export function registerToken(app: FastifyInstance, deps: TokenDeps): void {
  const grantDeps: GrantDeps = {
    config: deps.config,
    clock: deps.clock,
    rng: deps.rng,
    keystore: deps.keystore,
    issuer: deps.urls.issuer,
    activity: deps.activity,
    introspectionCache: deps.introspectionCache,
  };
  const homeserver = deps.homeserver ?? null;

  app.post(OAUTH_PATHS.token, async (request, reply) => {
    try {
      // parse
      const { params, credentials } = readClientRequest(request);
      const grantType = params.get('grant_type');
      if (grantType === undefined) throw invalidRequest('grant_type is required');
      const handler = grantHandler(grantType, deps.config);
      if (handler === null) {
        throw new OAuthError('unsupported_grant_type', 'this grant type is not supported');
      }
      const userAgent = request.headers['user-agent'] ?? null;

      const first = await deps.storage.transaction(async (repos) => {
        // authenticate
        const client = await authenticateEndpointClient(
          repos,
          credentials,
          deps,
          OAUTH_PATHS.token,
        );
        // check
        if (!allowsGrant(client, grantType as GrantType)) {
          throw new OAuthError('unauthorized_client', 'this client may not use this grant type');
        }
        // a device to create on the homeserver first? (reads only; see ./grants/with-device.ts)
        const grantRequest: GrantRequest = { params, client, userAgent, ip: request.ip };
        const preparer = DEVICE_PREPARERS[grantType as GrantType];
        const device =
          preparer === undefined || homeserver === null
            ? null
            : await preparer(repos, grantRequest, grantDeps);
        if (device !== null) return { device, grantRequest };
        // load, check, mutate, save: the grant's own steps
        return { outcome: await handler(repos, grantRequest, grantDeps) };
      });
      const outcome =
        'outcome' in first
          ? first.outcome
          : await exchangeWithDevice(
              { storage: deps.storage, clock: deps.clock, rng: deps.rng, homeserver: homeserver! },
              first.device,
              () =>
                deps.storage.transaction((repos) => handler(repos, first.grantRequest, grantDeps)),
            );

      // respond
      if (outcome instanceof OAuthError) return sendOAuthError(reply, outcome);
      return sendNoStoreJson(reply, outcome);
    } catch (error) {
      if (error instanceof StateConflictError) {
        // A concurrent request used the same code or refresh token first.
        return sendOAuthError(
          reply,
          new OAuthError('invalid_grant', 'the grant was already used', { detail: error.message }),
        );
      }
      return sendOAuthError(reply, error);
    }
  });
}
