// Remembered consent: the scopes a user has allowed a client. Asked again only when a request
// wants a scope outside the set, or after the user revoked it (MAS asks every time; issue 5112).

import type { ConsentId, OAuth2ClientId, UserId } from './ids.ts';

export interface Consent {
  readonly id: ConsentId;
  readonly userId: UserId;
  readonly clientId: OAuth2ClientId;
  /** Scope tokens the user has allowed. */
  readonly scopes: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** True when every requested scope token was consented to. */
export function consentCovers(consent: Consent | null, requested: readonly string[]): boolean {
  if (consent === null) return false;
  const granted = new Set(consent.scopes);
  return requested.every((scope) => granted.has(scope));
}
