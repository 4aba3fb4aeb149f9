// Validating an OpenID Connect Back-Channel Logout token from an upstream provider (OIDC
// Back-Channel Logout 1.0 §2.6): a JWT signed with one of the provider's keys (its JWKS), issued by
// the provider to our client id, recent (`iat`, and `exp` when present), carrying the
// back-channel logout event, a `sid` or a `sub`, and no `nonce`. What to end is the flow's
// business (src/http/handlers/upstream/backchannel-logout.ts); this only says whether to believe
// the token and whom it names.

import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../clock.ts';
import type { UpstreamOAuthProvider } from '../model/upstream-oauth.ts';
import type { UpstreamClients } from './upstream-client.ts';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How old a logout token may be (its `iat`), when it carries no `exp`. */
const MAX_AGE_SECONDS = 600;
const CLOCK_TOLERANCE_SECONDS = 30;

/** The token must not be believed; `message` is safe to return to the provider. */
export class LogoutTokenError extends Error {
  override readonly name = 'LogoutTokenError';
}

export interface LogoutTokenClaims {
  readonly sub: string | null;
  readonly sid: string | null;
  readonly jti: string | null;
}

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;

export class BackchannelLogoutVerifier {
  readonly #clients: UpstreamClients;
  readonly #clock: Clock;
  readonly #jwks = new Map<string, RemoteJwks>();

  constructor(clients: UpstreamClients, clock: Clock) {
    this.#clients = clients;
    this.#clock = clock;
  }

  #keySet(jwksUri: string): RemoteJwks {
    let set = this.#jwks.get(jwksUri);
    if (set === undefined) {
      set = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 10_000 });
      this.#jwks.set(jwksUri, set);
    }
    return set;
  }

  /** The token's subject and session, or LogoutTokenError. Provider errors propagate. */
  async verify(provider: UpstreamOAuthProvider, token: string): Promise<LogoutTokenClaims> {
    const metadata = await this.#clients.metadata(provider);
    if (typeof metadata.jwks_uri !== 'string') {
      throw new LogoutTokenError('the provider has no key set to verify logout tokens with');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keySet(metadata.jwks_uri), {
        issuer: metadata.issuer,
        audience: provider.clientId,
        algorithms: [provider.idTokenSignedResponseAlg],
        currentDate: this.#clock.now(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['iat'],
        ...(payloadHasExp(token) ? {} : { maxTokenAge: MAX_AGE_SECONDS }),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) {
        throw new LogoutTokenError(`invalid logout token: ${error.message}`);
      }
      throw error;
    }
    const events = payload.events;
    if (
      typeof events !== 'object' ||
      events === null ||
      Array.isArray(events) ||
      typeof (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] !== 'object'
    ) {
      throw new LogoutTokenError('the logout token has no back-channel logout event');
    }
    if ('nonce' in payload) throw new LogoutTokenError('a logout token must not have a nonce');
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : null;
    const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : null;
    if (sub === null && sid === null) {
      throw new LogoutTokenError('the logout token names neither a subject nor a session');
    }
    return { sub, sid, jti: typeof payload.jti === 'string' ? payload.jti : null };
  }
}

/** Whether the (not yet verified) payload has `exp`; only used to choose the age check. */
function payloadHasExp(token: string): boolean {
  const part = token.split('.')[1];
  if (part === undefined) return false;
  try {
    const payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof payload === 'object' && payload !== null && 'exp' in payload;
  } catch {
    return false;
  }
}
