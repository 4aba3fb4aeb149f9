// A user registration token (MAS: `user_registration_tokens`), required by password registration
// when `account.password_registration_token_required`. Issued by an admin (CLI or admin API) with
// an optional usage limit and expiry; each completed registration uses it once; it can be revoked.
// The token is kept in plaintext, as MAS does: admins must be able to read it back to share it.

import type { Id } from './ids.ts';

export type UserRegistrationTokenId = Id<'UserRegistrationTokenId'>;
export const asUserRegistrationTokenId = (value: string): UserRegistrationTokenId =>
  value as UserRegistrationTokenId;

export interface UserRegistrationToken {
  readonly id: UserRegistrationTokenId;
  readonly token: string;
  /** Null: unlimited. */
  readonly usageLimit: number | null;
  readonly timesUsed: number;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  /** Null: never expires. */
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

export type RegistrationTokenState = 'valid' | 'revoked' | 'expired' | 'used_up';

export function registrationTokenState(
  token: UserRegistrationToken,
  now: Date,
): RegistrationTokenState {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (token.usageLimit !== null && token.timesUsed >= token.usageLimit) return 'used_up';
  return 'valid';
}

export function isRegistrationTokenValid(token: UserRegistrationToken, now: Date): boolean {
  return registrationTokenState(token, now) === 'valid';
}
