// How Gatehouse authenticates itself at an upstream provider's token endpoint, one function per
// `token_endpoint_auth_method`, in the shape openid-client calls before each token request
// (`ClientAuth`: it adds fields to the form body or headers).
//
// The secret-based methods are openid-client's own. The JWT methods are built here instead, so the
// assertion's time and `jti` come from our Clock and Rng, `private_key_jwt` is signed by
// Gatehouse's keystore (every algorithm it has, ES256K included, which WebCrypto lacks), and
// `aud` is the token endpoint as MAS sends it (providers accept it; some refuse the issuer).
//
// To add a method: add its case to `clientAuthFor` and a test in test/upstream/.

import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { ClientSecretBasic, ClientSecretPost, None, type ClientAuth } from 'openid-client';
import type { Clock } from '../clock.ts';
import type { Keystore, SigningAlgorithm } from '../crypto/keystore.ts';
import { SIGNING_ALGORITHMS } from '../crypto/keystore.ts';
import type { UpstreamTokenAuthMethod } from '../model/upstream-oauth.ts';
import { randomString, type Rng } from '../rng.ts';

/** Lifetime of a client assertion and of a Sign in with Apple client secret. */
const ASSERTION_LIFETIME_SECONDS = 300;
const JTI_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const APPLE_AUDIENCE = 'https://appleid.apple.com';

/** The provider settings are unusable as configured (a missing secret, an unsigned algorithm). */
export class UpstreamClientConfigError extends Error {
  override readonly name = 'UpstreamClientConfigError';
}

export interface ClientAuthSettings {
  readonly method: UpstreamTokenAuthMethod;
  readonly clientId: string;
  /** The decrypted client secret, for the `client_secret_*` methods. */
  readonly clientSecret: string | null;
  readonly signingAlg: string | null;
  /** Sign in with Apple: the decrypted PEM key, the team and the key id. */
  readonly apple: {
    readonly privateKey: string;
    readonly teamId: string;
    readonly keyId: string;
  } | null;
}

export interface ClientAuthDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly keystore: Keystore;
}

const nowSeconds = (clock: Clock) => Math.floor(clock.now().getTime() / 1000);

function assertionClaims(deps: ClientAuthDeps, clientId: string, audience: string) {
  const iat = nowSeconds(deps.clock);
  return {
    iss: clientId,
    sub: clientId,
    aud: audience,
    jti: randomString(deps.rng, JTI_ALPHABET, 32),
    iat,
    exp: iat + ASSERTION_LIFETIME_SECONDS,
  };
}

function requireSecret(settings: ClientAuthSettings): string {
  if (settings.clientSecret === null || settings.clientSecret === '') {
    throw new UpstreamClientConfigError(`${settings.method} needs a client secret`);
  }
  return settings.clientSecret;
}

function setAssertion(body: URLSearchParams, clientId: string, assertion: string): void {
  body.set('client_id', clientId);
  body.set('client_assertion_type', ASSERTION_TYPE);
  body.set('client_assertion', assertion);
}

/**
 * The Sign in with Apple client secret: an ES256 JWT from the team, about the client id, signed by
 * the key from the Apple developer portal (Apple's "Creating a client secret").
 */
export async function appleClientSecret(
  deps: Pick<ClientAuthDeps, 'clock'>,
  clientId: string,
  apple: NonNullable<ClientAuthSettings['apple']>,
): Promise<string> {
  const iat = nowSeconds(deps.clock);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: apple.keyId })
    .setIssuer(apple.teamId)
    .setSubject(clientId)
    .setAudience(APPLE_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
    .sign(createPrivateKey(apple.privateKey));
}

/** The openid-client `ClientAuth` for the provider's method; throws UpstreamClientConfigError. */
export function clientAuthFor(
  deps: ClientAuthDeps,
  settings: ClientAuthSettings,
  tokenEndpoint: string,
): ClientAuth {
  switch (settings.method) {
    case 'none':
      return None();
    case 'client_secret_basic':
      return ClientSecretBasic(requireSecret(settings));
    case 'client_secret_post':
      return ClientSecretPost(requireSecret(settings));
    case 'client_secret_jwt': {
      const secret = new TextEncoder().encode(requireSecret(settings));
      const alg = settings.signingAlg ?? 'HS256';
      if (!/^HS(256|384|512)$/.test(alg)) {
        throw new UpstreamClientConfigError(`client_secret_jwt cannot sign with ${alg}`);
      }
      return async (_as, _client, body) => {
        const claims = assertionClaims(deps, settings.clientId, tokenEndpoint);
        const assertion = await new SignJWT(claims)
          .setProtectedHeader({ alg, typ: 'JWT' })
          .sign(secret);
        setAssertion(body, settings.clientId, assertion);
      };
    }
    case 'private_key_jwt': {
      const alg = (SIGNING_ALGORITHMS as readonly string[]).find(
        (candidate) => candidate === (settings.signingAlg ?? 'RS256'),
      ) as SigningAlgorithm | undefined;
      if (alg === undefined || deps.keystore.findKey(alg) === null) {
        throw new UpstreamClientConfigError(
          `private_key_jwt: no key in \`secrets\` signs ${settings.signingAlg ?? 'RS256'}`,
        );
      }
      return async (_as, _client, body) => {
        const claims = assertionClaims(deps, settings.clientId, tokenEndpoint);
        const assertion = await deps.keystore.sign(
          { header: { typ: 'JWT' }, payload: claims },
          alg,
        );
        setAssertion(body, settings.clientId, assertion);
      };
    }
    case 'sign_in_with_apple': {
      const apple = settings.apple;
      if (apple === null) throw new UpstreamClientConfigError('sign_in_with_apple needs its key');
      return async (_as, _client, body) => {
        body.set('client_id', settings.clientId);
        body.set('client_secret', await appleClientSecret(deps, settings.clientId, apple));
      };
    }
  }
}
