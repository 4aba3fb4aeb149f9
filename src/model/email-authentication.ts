// An email authentication (MAS: `user_email_authentications` + `..._codes`): proving that a person
// can read an address, for a registration in progress or for a signed-in user adding an address.
// The worker mails a 6-digit code (a new row per send); the person types it back; a matching,
// unexpired code completes the authentication once. `attempts` counts wrong codes so callers can
// stop guessing (a 6-digit space is small).

import type { BrowserSessionId, Id } from './ids.ts';
import type { UserRegistrationId } from './user-registration.ts';

export type EmailAuthenticationId = Id<'EmailAuthenticationId'>;
export type EmailAuthenticationCodeId = Id<'EmailAuthenticationCodeId'>;
export const asEmailAuthenticationId = (value: string): EmailAuthenticationId =>
  value as EmailAuthenticationId;
export const asEmailAuthenticationCodeId = (value: string): EmailAuthenticationCodeId =>
  value as EmailAuthenticationCodeId;

/** How long a mailed code can be used (MAS: 5 minutes). */
export const EMAIL_CODE_LIFETIME_MS = 5 * 60 * 1000;
/** Wrong codes allowed per authentication before it must be started again. */
export const EMAIL_CODE_MAX_ATTEMPTS = 10;
/** A code is this many decimal digits, `000000`–`999999`. */
export const EMAIL_CODE_LENGTH = 6;

export interface EmailAuthentication {
  readonly id: EmailAuthenticationId;
  readonly email: string;
  /** Set when a signed-in user adds an address; exactly one of this and `registrationId`. */
  readonly browserSessionId: BrowserSessionId | null;
  /** Set when the address is verified during registration. */
  readonly registrationId: UserRegistrationId | null;
  /** Wrong codes entered so far. */
  readonly attempts: number;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
}

export interface EmailAuthenticationCode {
  readonly id: EmailAuthenticationCodeId;
  readonly authenticationId: EmailAuthenticationId;
  readonly code: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export function isEmailAuthenticationCompleted(authentication: EmailAuthentication): boolean {
  return authentication.completedAt !== null;
}

/** True when no more codes may be tried for this authentication. */
export function hasExhaustedAttempts(authentication: EmailAuthentication): boolean {
  return authentication.attempts >= EMAIL_CODE_MAX_ATTEMPTS;
}

export function isEmailCodeExpired(code: EmailAuthenticationCode, now: Date): boolean {
  return code.expiresAt.getTime() <= now.getTime();
}

/** True when `value` has the shape of a code (so a typo is not counted as a guess). */
export function isEmailCodeShaped(value: string): boolean {
  return /^[0-9]{6}$/.test(value);
}
