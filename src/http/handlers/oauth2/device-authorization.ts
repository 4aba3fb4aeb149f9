// `POST /oauth2/device`: the device authorization endpoint (RFC 8628 §3.1–3.2, MAS:
// oauth2/device/authorize.rs). A device with no browser asks for a pair of codes: the
// `device_code` it polls the token endpoint with, and the short `user_code` a person types on
// `/link` from another device.
//
// parse the form (duplicates refused) → authenticate the client as at the token endpoint (public
// clients with `none` too) → check the grant is enabled and the client registered it → validate
// the scope → draw the codes (before the transaction) → save the grant, drawing another user code
// while one is taken → answer with the codes, `verification_uri(_complete)`, lifetime and interval.
//
// Only the SHA-256 of the device code is stored. Also home to the device flow's constants and the
// user-code helpers the `/link` page shares.

import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../clock.ts';
import type { RootConfig } from '../../../config/root.ts';
import type { Encrypter } from '../../../crypto/encrypter.ts';
import { tokenHash } from '../../../crypto/tokens.ts';
import type { DeviceCodeGrant } from '../../../model/device-code-grant.ts';
import { allowsGrant } from '../../../model/oauth2-client.ts';
import type { ClientJwksCache } from '../../../oauth2/client-jwks.ts';
import { OAUTH_PATHS } from '../../../oauth2/discovery.ts';
import { OAuthError, sendOAuthError } from '../../../oauth2/errors.ts';
import { enforceGrantPolicy, grantPolicyConfig } from '../../../oauth2/grant-policy.ts';
import { formatScope, parseScope } from '../../../oauth2/scope.ts';
import { randomString, type Rng } from '../../../rng.ts';
import type { Storage } from '../../../storage/storage.ts';
import type { UrlBuilder } from '../../url-builder.ts';
import {
  authenticateEndpointClient,
  readClientRequest,
  sendNoStoreJson,
} from './client-request.ts';

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** How long the codes are valid (MAS: 20 minutes). */
export const DEVICE_CODE_LIFETIME_SECONDS = 20 * 60;
/** How often the device may poll (MAS: 5 seconds). */
export const DEVICE_POLL_INTERVAL_SECONDS = 5;

/** 6 upper-case letters and digits, as MAS. */
const USER_CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const USER_CODE_LENGTH = 6;
/** 32 letters and digits, as MAS. */
const DEVICE_CODE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DEVICE_CODE_LENGTH = 32;
/**
 * 36^6 ≈ 2.2 billion codes: a collision with a live grant is rare, several in a row mean
 * something is wrong (a broken RNG), which is better reported than looped on.
 */
const MAX_USER_CODE_DRAWS = 10;

/** The path of the page where people type the user code. */
export const LINK_PATH = '/link';

/**
 * What the person typed, as stored: upper case, without the spaces and dashes people add when
 * copying a code. Null when it cannot be a user code at all.
 */
export function normaliseUserCode(typed: string): string | null {
  const code = typed.replace(/[\s-]+/g, '').toUpperCase();
  return /^[A-Z0-9]{6}$/.test(code) ? code : null;
}

export interface DeviceAuthorizationDeps {
  readonly config: Pick<RootConfig, 'oauth' | 'matrix' | 'policy' | 'experimental'>;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly encrypter: Encrypter;
  readonly jwks: ClientJwksCache;
  readonly urls: UrlBuilder;
}

export function registerDeviceAuthorization(
  app: FastifyInstance,
  deps: DeviceAuthorizationDeps,
): void {
  app.post(OAUTH_PATHS.deviceAuthorization, async (request, reply) => {
    try {
      // parse
      const { params, credentials } = readClientRequest(request);
      const scope = formatScope(parseScope(params.get('scope')));
      // Drawn before the transaction, so it holds nothing while randomness is made.
      const deviceCode = randomString(deps.rng, DEVICE_CODE_ALPHABET, DEVICE_CODE_LENGTH);
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + DEVICE_CODE_LIFETIME_SECONDS * 1000);

      const grant = await deps.storage.transaction(async (repos) => {
        // authenticate
        const client = await authenticateEndpointClient(
          repos,
          credentials,
          deps,
          OAUTH_PATHS.deviceAuthorization,
        );
        // check
        if (!deps.config.oauth.device_code_grant_enabled) {
          throw new OAuthError(
            'unauthorized_client',
            'the device authorization grant is disabled on this server',
          );
        }
        if (!allowsGrant(client, DEVICE_CODE_GRANT_TYPE)) {
          throw new OAuthError(
            'unauthorized_client',
            'this client is not allowed to use the device authorization grant',
          );
        }
        // The grant policy's rules about the scope alone; those about the user wait for approval.
        enforceGrantPolicy(
          { grant: 'device_code', scopes: parseScope(scope), clientId: client.id },
          grantPolicyConfig(deps.config),
        );
        // save: a user code already taken by another grant is drawn again
        for (let draw = 0; draw < MAX_USER_CODE_DRAWS; draw += 1) {
          const saved: DeviceCodeGrant | null = await repos.deviceCodeGrants.add(
            deps.rng,
            deps.clock,
            {
              clientId: client.id,
              scope,
              userCode: randomString(deps.rng, USER_CODE_ALPHABET, USER_CODE_LENGTH),
              deviceCodeHash: tokenHash(deviceCode),
              expiresAt,
              ipAddress: request.ip || null,
              userAgent: request.headers['user-agent'] ?? null,
            },
          );
          if (saved !== null) return saved;
        }
        throw new OAuthError('server_error', undefined, {
          detail: `no free user code after ${MAX_USER_CODE_DRAWS} draws`,
        });
      });

      // respond
      return sendNoStoreJson(reply, {
        device_code: deviceCode,
        user_code: grant.userCode,
        verification_uri: deps.urls.absolute(LINK_PATH),
        verification_uri_complete: deps.urls.absolute(LINK_PATH, { code: grant.userCode }),
        expires_in: DEVICE_CODE_LIFETIME_SECONDS,
        interval: DEVICE_POLL_INTERVAL_SECONDS,
      });
    } catch (error) {
      return sendOAuthError(reply, error);
    }
  });
}
