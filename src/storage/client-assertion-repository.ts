// `jti` values of client assertions (client_secret_jwt, private_key_jwt) already accepted, so an
// assertion cannot be replayed while it is valid.

import type { OAuth2ClientId } from '../model/ids.ts';

export interface ClientAssertionRepository {
  /** Records the jti; false when this client already used it (a replay). */
  recordJti(clientId: OAuth2ClientId, jti: string, expiresAt: Date): Promise<boolean>;
  /** Retention: forgets jtis whose assertion expired before `before`. */
  deleteExpiredBefore(before: Date): Promise<number>;
}
