// Remembered consents (see model/consent.ts): one per user and client.

import type { Clock } from '../clock.ts';
import type { Consent } from '../model/consent.ts';
import type { ConsentId, OAuth2ClientId, UserId } from '../model/ids.ts';
import type { Rng } from '../rng.ts';

export interface ConsentRepository {
  find(userId: UserId, clientId: OAuth2ClientId): Promise<Consent | null>;
  /**
   * Adds `scopes` to the user's consent for the client (creating it), and returns it. The stored
   * set is the union, without duplicates, sorted.
   */
  grant(
    rng: Rng,
    clock: Clock,
    userId: UserId,
    clientId: OAuth2ClientId,
    scopes: readonly string[],
  ): Promise<Consent>;
  /** The user's consents, oldest first. */
  listForUser(userId: UserId): Promise<Consent[]>;
  /** Forgets a consent; the next authorization asks again. */
  revoke(id: ConsentId): Promise<boolean>;
}
