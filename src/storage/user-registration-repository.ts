// Password registrations in progress (see model/user-registration.ts). Each step's setter writes
// one field and returns the updated registration; none of them checks expiry (the pages do, with
// `isRegistrationExpired`), but all refuse a completed registration by returning null.

import type { Clock } from '../clock.ts';
import type { EmailAuthentication } from '../model/email-authentication.ts';
import type { UserRegistrationToken } from '../model/registration-token.ts';
import type { UserRegistration, UserRegistrationId } from '../model/user-registration.ts';
import type { Rng } from '../rng.ts';

export interface NewUserRegistration {
  readonly username: string;
  readonly postAuthAction?: string | null;
  readonly ipAddress?: string | null;
  readonly userAgent?: string | null;
}

export interface UserRegistrationRepository {
  lookup(id: UserRegistrationId): Promise<UserRegistration | null>;
  add(rng: Rng, clock: Clock, registration: NewUserRegistration): Promise<UserRegistration>;
  setDisplayName(
    registration: UserRegistration,
    displayName: string | null,
  ): Promise<UserRegistration | null>;
  setTermsUrl(
    registration: UserRegistration,
    termsUrl: string | null,
  ): Promise<UserRegistration | null>;
  setPassword(
    registration: UserRegistration,
    hashedPassword: string,
    version: number,
  ): Promise<UserRegistration | null>;
  setEmailAuthentication(
    registration: UserRegistration,
    authentication: EmailAuthentication,
  ): Promise<UserRegistration | null>;
  setRegistrationToken(
    registration: UserRegistration,
    token: UserRegistrationToken,
  ): Promise<UserRegistration | null>;
  /** Marks it completed; null when it already was (a double submit of the last step). */
  complete(clock: Clock, registration: UserRegistration): Promise<UserRegistration | null>;
  /** Retention: deletes registrations created before `before`; returns how many. */
  deleteCreatedBefore(before: Date): Promise<number>;
}
