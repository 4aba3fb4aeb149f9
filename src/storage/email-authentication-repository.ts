// Email authentications and their codes (see model/email-authentication.ts).
//
// The page starts an authentication and enqueues the send-email-authentication-code job; the job
// adds a code and mails it; the page checks what the person typed with `findValidCode`, counts a
// wrong one with `recordFailedAttempt`, and `complete`s the authentication with the right one.

import type { Clock } from '../clock.ts';
import type { BrowserSession } from '../model/browser-session.ts';
import type {
  EmailAuthentication,
  EmailAuthenticationCode,
  EmailAuthenticationId,
} from '../model/email-authentication.ts';
import type { UserRegistration } from '../model/user-registration.ts';
import type { Rng } from '../rng.ts';

export interface EmailAuthenticationRepository {
  lookup(id: EmailAuthenticationId): Promise<EmailAuthentication | null>;
  /** Starts verifying `email` for a registration in progress. */
  addForRegistration(
    rng: Rng,
    clock: Clock,
    registration: UserRegistration,
    email: string,
  ): Promise<EmailAuthentication>;
  /** Starts verifying `email` for the signed-in user of `session` (adding an address). */
  addForBrowserSession(
    rng: Rng,
    clock: Clock,
    session: BrowserSession,
    email: string,
  ): Promise<EmailAuthentication>;
  /**
   * Stores a freshly drawn code, valid `EMAIL_CODE_LIFETIME_MS` from `clock.now()` unless
   * `lifetimeMs` says otherwise. Earlier codes stay valid until they expire.
   */
  addCode(
    rng: Rng,
    clock: Clock,
    authentication: EmailAuthentication,
    code: string,
    lifetimeMs?: number,
  ): Promise<EmailAuthenticationCode>;
  /** The unexpired code of this authentication equal to `code`, or null. */
  findValidCode(
    clock: Clock,
    authentication: EmailAuthentication,
    code: string,
  ): Promise<EmailAuthenticationCode | null>;
  /** Counts one wrong code (atomically); returns the authentication with the new count. */
  recordFailedAttempt(authentication: EmailAuthentication): Promise<EmailAuthentication>;
  /**
   * Marks the authentication completed by `code`. Null when it already was (a concurrent request
   * got there first): the caller must not act on it twice.
   */
  complete(
    clock: Clock,
    authentication: EmailAuthentication,
    code: EmailAuthenticationCode,
  ): Promise<EmailAuthentication | null>;
  /** Retention: deletes authentications (and their codes) created before `before`. */
  deleteCreatedBefore(before: Date): Promise<number>;
}
