// Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3,
// RFC 7523 §2.2, OIDC Core §9). Two steps:
// 1. `extractClientCredentials` reads what the request carries — Basic header, `client_secret`,
//    `client_assertion`, or a bare `client_id` — and refuses requests that use more than one;
// 2. `authenticateClient` loads the client and checks the credentials against it. The method used
//    must be the client's registered `token_endpoint_auth_method`.
// Every failure is `invalid_client` (401); the public description never says whether the client
// exists.

import {
  createPublicKey,
  hash,
  timingSafeEqual,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import type { Clock } from '../clock.ts';
import type { Encrypter } from '../crypto/encrypter.ts';
import { verifyJws, JwsVerificationError, type VerificationKey } from '../crypto/jws.ts';
import type { SigningAlgorithm } from '../crypto/signing-key.ts';
import { asOAuth2ClientId } from '../model/ids.ts';
import type { ClientAuthMethod, OAuth2Client } from '../model/oauth2-client.ts';
import type { ClientAssertionRepository } from '../storage/client-assertion-repository.ts';
import type { OAuth2ClientRepository } from '../storage/oauth2-client-repository.ts';
import { HMAC_ALGORITHMS } from './client-metadata.ts';
import { JwksFetchError, type ClientJwksCache, type JwkSet } from './client-jwks.ts';
import { decryptClientSecret } from './client-secret.ts';
import { invalidClient, invalidRequest, OAuthError } from './errors.ts';
import { decodeComponent, type FormParams } from './form-params.ts';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export type ClientCredentials =
  | { readonly kind: 'none'; readonly clientId: string }
  | { readonly kind: 'client_secret_basic'; readonly clientId: string; readonly secret: string }
  | { readonly kind: 'client_secret_post'; readonly clientId: string; readonly secret: string }
  | { readonly kind: 'assertion'; readonly clientId: string; readonly assertion: string };

/** Asymmetric algorithms accepted for `private_key_jwt`. */
const ASYMMETRIC_ALGORITHMS: readonly SigningAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES256K',
  'EdDSA',
];
/** Allowed clock difference for `iat` and `nbf` in the future. */
const LEEWAY_SECONDS = 60;
/** How far ahead an assertion may expire (its jti is kept until then). */
const MAX_ASSERTION_LIFETIME_SECONDS = 3600;

/** The credentials in a request. Throws `invalid_request` or `invalid_client`. */
export function extractClientCredentials(
  authorization: string | undefined,
  params: FormParams,
): ClientCredentials {
  const paramId = params.get('client_id');
  const secret = params.get('client_secret');
  const assertion = params.get('client_assertion');
  const assertionType = params.get('client_assertion_type');
  const basic = authorization !== undefined && /^basic(\s|$)/i.test(authorization.trim());

  const used = [basic, secret !== undefined, assertion !== undefined].filter(Boolean).length;
  if (used > 1) throw invalidRequest('use only one client authentication method');

  if (basic) {
    const { clientId, secret: basicSecret } = parseBasic(authorization);
    if (paramId !== undefined && paramId !== clientId)
      throw invalidRequest('client_id does not match the Authorization header');
    return { kind: 'client_secret_basic', clientId, secret: basicSecret };
  }
  if (secret !== undefined) {
    if (paramId === undefined) throw invalidClient('client_id is required with client_secret');
    return { kind: 'client_secret_post', clientId: paramId, secret };
  }
  if (assertion !== undefined) {
    if (assertionType !== JWT_BEARER_ASSERTION_TYPE)
      throw invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
    const subject = unverifiedSubject(assertion);
    if (paramId !== undefined && paramId !== subject)
      throw invalidClient('client_id does not match the client assertion');
    return { kind: 'assertion', clientId: subject, assertion };
  }
  if (assertionType !== undefined) throw invalidRequest('client_assertion is missing');
  if (paramId === undefined) throw invalidClient('client authentication is required');
  return { kind: 'none', clientId: paramId };
}

/** RFC 6749 §2.3.1: Basic of the form-urlencoded id and secret. */
function parseBasic(authorization: string): { clientId: string; secret: string } {
  const encoded = authorization.trim().slice('basic'.length).trim();
  const malformed = () => invalidClient('malformed Basic credentials');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw malformed();
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) throw malformed();
  let clientId: string;
  let secret: string;
  try {
    clientId = decodeComponent(decoded.slice(0, colon));
    secret = decodeComponent(decoded.slice(colon + 1));
  } catch {
    throw malformed();
  }
  if (clientId === '') throw malformed();
  return { clientId, secret };
}

/** The `sub` of an assertion, read without verifying it, to find the client. */
function unverifiedSubject(assertion: string): string {
  const claims = decodePayload(assertion);
  if (typeof claims?.sub !== 'string' || claims.sub === '')
    throw invalidClient('the client assertion has no sub claim');
  return claims.sub;
}

function decodePayload(jwt: string): Record<string, unknown> | null {
  const parts = jwt.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1]!)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export interface ClientAuthRepositories {
  readonly oauth2Clients: OAuth2ClientRepository;
  readonly clientAssertions: ClientAssertionRepository;
}

export interface ClientAuthDeps {
  readonly clock: Clock;
  readonly encrypter: Encrypter;
  readonly jwks: ClientJwksCache;
  /**
   * Accepted assertion audiences: the issuer and the URL of the endpoint being called. A function,
   * called only when an assertion is checked: building the endpoint's URL was ~3 % of a
   * secret-authenticated grant's CPU, for a value no secret needs.
   */
  readonly acceptedAudiences: () => readonly string[];
}

const methodOf = (credentials: ClientCredentials, client: OAuth2Client): ClientAuthMethod =>
  credentials.kind === 'assertion'
    ? client.tokenEndpointAuthMethod === 'client_secret_jwt'
      ? 'client_secret_jwt'
      : 'private_key_jwt'
    : credentials.kind;

/** The authenticated client. Throws `invalid_client` (or `invalid_request`). */
export async function authenticateClient(
  credentials: ClientCredentials,
  repos: ClientAuthRepositories,
  deps: ClientAuthDeps,
): Promise<OAuth2Client> {
  const client = await repos.oauth2Clients.lookup(asOAuth2ClientId(credentials.clientId));
  if (client === null) {
    throw invalidClient('client authentication failed', { detail: 'unknown client' });
  }
  const method = methodOf(credentials, client);
  if (method !== client.tokenEndpointAuthMethod) {
    throw invalidClient(`this client must authenticate with ${client.tokenEndpointAuthMethod}`, {
      detail: `used ${method}`,
    });
  }
  switch (credentials.kind) {
    case 'none':
      return client;
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!secretMatches(storedSecret(client, deps), credentials.secret)) {
        throw invalidClient('client authentication failed', { detail: 'wrong client secret' });
      }
      return client;
    case 'assertion':
      await verifyAssertion(credentials.assertion, client, repos, deps);
      return client;
  }
}

function storedSecret(client: OAuth2Client, deps: ClientAuthDeps): string {
  if (client.encryptedClientSecret === null) {
    throw invalidClient('client authentication failed', { detail: 'client has no secret' });
  }
  try {
    return decryptClientSecret(deps.encrypter, client.id, client.encryptedClientSecret);
  } catch (error) {
    throw new OAuthError('server_error', undefined, { cause: error });
  }
}

/**
 * The SHA-256 digest `secretMatches` compares: a secret checked on every request (the homeserver's,
 * on every introspection) can be digested once, and `digestMatches` used instead.
 */
export function secretDigest(secret: string): Buffer {
  // One-shot `hash` with a hex answer decoded here: Node's `'buffer'` output of `hash` costs
  // about three times as much as hex (measured on Node 24).
  return Buffer.from(hash('sha256', secret, 'hex'), 'hex');
}

/** Constant time whatever the lengths: compares SHA-256 digests. */
export function secretMatches(expected: string, given: string): boolean {
  return digestMatches(secretDigest(expected), given);
}

/** `secretMatches` with the expected secret's `secretDigest` computed beforehand. */
export function digestMatches(expectedDigest: Buffer, given: string): boolean {
  return timingSafeEqual(expectedDigest, secretDigest(given));
}

async function verifyAssertion(
  assertion: string,
  client: OAuth2Client,
  repos: ClientAuthRepositories,
  deps: ClientAuthDeps,
): Promise<void> {
  const fail = (detail: string, description = 'invalid client assertion') =>
    invalidClient(description, { detail });
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw fail('malformed JWS header');
  }
  const alg = typeof header.alg === 'string' ? header.alg : '';
  const hmac = (HMAC_ALGORITHMS as readonly string[]).includes(alg);
  const allowed =
    client.tokenEndpointAuthMethod === 'client_secret_jwt'
      ? hmac
      : (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg);
  if (
    !allowed ||
    (client.tokenEndpointAuthSigningAlg !== null && alg !== client.tokenEndpointAuthSigningAlg)
  ) {
    throw fail(
      `algorithm ${alg || '(none)'} not allowed`,
      'client assertion algorithm not allowed',
    );
  }

  const payload =
    client.tokenEndpointAuthMethod === 'client_secret_jwt'
      ? await verifyHmac(assertion, alg, storedSecret(client, deps))
      : await verifyWithClientKeys(assertion, alg as SigningAlgorithm, header.kid, client, deps);
  if (payload === null) throw fail('bad signature');

  const claims = parseClaims(payload);
  if (claims === null) throw fail('payload is not a JSON object');
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  if (claims.iss !== client.id || claims.sub !== client.id)
    throw fail('iss and sub must be the client_id');
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const accepted = deps.acceptedAudiences();
  if (!audiences.some((aud) => typeof aud === 'string' && accepted.includes(aud)))
    throw fail(
      `aud ${JSON.stringify(claims.aud)} not accepted`,
      'client assertion audience is not this server',
    );
  if (typeof claims.exp !== 'number') throw fail('exp missing');
  if (claims.exp <= now) throw fail('expired', 'client assertion expired');
  if (claims.exp > now + MAX_ASSERTION_LIFETIME_SECONDS + LEEWAY_SECONDS)
    throw fail('exp too far ahead', 'client assertion expires too far in the future');
  if (
    claims.nbf !== undefined &&
    (typeof claims.nbf !== 'number' || claims.nbf > now + LEEWAY_SECONDS)
  )
    throw fail('not yet valid (nbf)');
  if (
    claims.iat !== undefined &&
    (typeof claims.iat !== 'number' || claims.iat > now + LEEWAY_SECONDS)
  )
    throw fail('issued in the future (iat)');
  if (typeof claims.jti !== 'string' || claims.jti === '')
    throw fail('jti missing', 'client assertion has no jti');
  const first = await repos.clientAssertions.recordJti(
    client.id,
    claims.jti,
    new Date(claims.exp * 1000),
  );
  if (!first) throw fail('jti replayed', 'client assertion was already used');
}

function parseClaims(payload: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(payload).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

async function verifyHmac(
  assertion: string,
  alg: string,
  secret: string,
): Promise<Uint8Array | null> {
  try {
    const result = await compactVerify(assertion, new TextEncoder().encode(secret), {
      algorithms: [alg],
    });
    return result.payload;
  } catch {
    return null;
  }
}

async function verifyWithClientKeys(
  assertion: string,
  alg: SigningAlgorithm,
  kid: unknown,
  client: OAuth2Client,
  deps: ClientAuthDeps,
): Promise<Uint8Array | null> {
  const wantedKid = typeof kid === 'string' ? kid : undefined;
  let set: JwkSet;
  if (client.jwks !== null) {
    set = client.jwks as unknown as JwkSet;
  } else if (client.jwksUri !== null) {
    const cached = await fetchKeys(deps.jwks, client.jwksUri, false);
    set = cached.set;
    // The client may have rotated its keys since the set was cached.
    if (!cached.fresh && candidateKeys(set, alg, wantedKid).length === 0) {
      set = (await fetchKeys(deps.jwks, client.jwksUri, true)).set;
    }
  } else {
    throw invalidClient('invalid client assertion', { detail: 'client has no keys' });
  }
  const candidates = candidateKeys(set, alg, wantedKid);
  if (candidates.length === 0) {
    throw invalidClient('invalid client assertion', {
      detail: `no key for ${alg} ${wantedKid ?? ''}`,
    });
  }
  for (const key of candidates) {
    try {
      // Reuses the keystore's verification, which also covers ES256K (not supported by jose).
      const result = await verifyJws(key, assertion);
      return result.payload;
    } catch (error) {
      if (!(error instanceof JwsVerificationError)) throw error;
    }
  }
  return null;
}

async function fetchKeys(
  cache: ClientJwksCache,
  uri: string,
  refresh: boolean,
): Promise<{ set: JwkSet; fresh: boolean }> {
  try {
    return await cache.get(uri, refresh);
  } catch (error) {
    if (!(error instanceof JwksFetchError)) throw error;
    throw invalidClient('could not fetch the client key set', {
      detail: error.message,
      cause: error,
    });
  }
}

/** The algorithms a public JWK can verify. */
function algorithmsOf(jwk: Readonly<Record<string, unknown>>): readonly SigningAlgorithm[] {
  switch (jwk.kty) {
    case 'RSA':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'EC':
      return jwk.crv === 'P-256'
        ? ['ES256']
        : jwk.crv === 'P-384'
          ? ['ES384']
          : jwk.crv === 'secp256k1'
            ? ['ES256K']
            : [];
    case 'OKP':
      return jwk.crv === 'Ed25519' ? ['EdDSA'] : [];
    default:
      return [];
  }
}

/**
 * Verification keys of the set usable for `alg` (and `kid`, when given), in the shape the
 * keystore's `verifyJws` reads (`kid`, `algorithms`, `publicKey`).
 */
function candidateKeys(
  set: JwkSet,
  alg: SigningAlgorithm,
  kid: string | undefined,
): VerificationKey[] {
  const keys: VerificationKey[] = [];
  for (const jwk of set.keys) {
    if (kid !== undefined && jwk.kid !== kid) continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (jwk.alg !== undefined && jwk.alg !== alg) continue;
    if (!algorithmsOf(jwk).includes(alg)) continue;
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      continue;
    }
    keys.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : '', algorithms: [alg], publicKey });
  }
  return keys;
}
