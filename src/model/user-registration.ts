// A password registration in progress (MAS: `user_registrations`). The /register pages fill it in
// step by step — username and password first, then the email code, the registration token, the
// display name — and the last step creates the user and marks it completed. It lives in the
// database, not in the cookie, so a mail that fails and is retried by the worker never loses it.
// A registration not completed within an hour is dead (MAS: 1 h).

import type { Id } from './ids.ts';
import type { EmailAuthenticationId } from './email-authentication.ts';
import type { UserRegistrationTokenId } from './registration-token.ts';

export type UserRegistrationId = Id<'UserRegistrationId'>;
export const asUserRegistrationId = (value: string): UserRegistrationId =>
  value as UserRegistrationId;

/** How long a registration can be completed after it was started (MAS: 1 hour). */
export const REGISTRATION_LIFETIME_MS = 60 * 60 * 1000;

export interface UserRegistration {
  readonly id: UserRegistrationId;
  /** The Matrix localpart asked for. */
  readonly username: string;
  readonly displayName: string | null;
  /** The terms of service URL the person accepted (`branding.tos_uri` at the time), if any. */
  readonly termsUrl: string | null;
  readonly hashedPassword: string | null;
  /** The `passwords.schemes[].version` of `hashedPassword`. */
  readonly passwordVersion: number | null;
  readonly emailAuthenticationId: EmailAuthenticationId | null;
  readonly registrationTokenId: UserRegistrationTokenId | null;
  /** Where to go once registered: a local path such as `/authorize?...` (MAS: post_auth_action). */
  readonly postAuthAction: string | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
}

export function registrationExpiresAt(registration: UserRegistration): Date {
  return new Date(registration.createdAt.getTime() + REGISTRATION_LIFETIME_MS);
}

export function isRegistrationExpired(registration: UserRegistration, now: Date): boolean {
  return registrationExpiresAt(registration).getTime() <= now.getTime();
}

export function isRegistrationCompleted(registration: UserRegistration): boolean {
  return registration.completedAt !== null;
}
