// `RateLimiter`: every limit Gatehouse applies, one method per protected action, called at the
// start of the handler before any password is checked, any email is sent or any code is compared.
// A method returns when the action may go ahead and throws `RateLimitedError` when it may not.
//
// Sign-in (web `/login` and compat `/_matrix/client/*/login`) is checked in three steps, so that a
// stranger guessing an account's password can never lock its owner out:
//
//   1. `login.per_ip`, keyed by the client's address (MAS): every attempt counts, success or not
//      (otherwise an attacker holding one good account could earn back guesses by signing into
//      it). Over the limit: refused (429).
//   2. `login.per_account`, keyed by account AND client address: the account's failures counted
//      per source. Over the limit: refused (429), but only for that source; the owner, coming from
//      another address, has a budget of their own.
//   3. `login.per_account_global`, keyed by the account alone, with the same `login.per_account`
//      budget: what a distributed guesser (many addresses) spends together. Over the limit the
//      attempt is never refused, only held back (`loginSlowdownMs`, 2 s by default) before the
//      password is checked, so every guess costs time while the owner still gets in.
//
// Steps 2 and 3 count failures: a correct password forgets the source's failures and gives the
// attempt back to the account's budget (`loginSucceeded`). Only someone who knows the password can
// do that, so it cannot be abused the way rewarding step 1 could.
//
// Password checks during a password change (MAS's docs promise the login limits there; its code
// has none): the client's address under `login.per_ip`, and the account under
// `password_change.per_account` (the `login.per_ip` rate). A hard limit is right here: the person
// asking is already signed in as the account, so no stranger can spend its budget.

import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitingConfig } from '../config/sections/rate_limiting.ts';
import { clientAddressKey } from './client-address.ts';
import { limiterSpecs, loginSlowdownMs, type LimiterName } from './limiter-spec.ts';
import type { LimiterStore } from './limiter-store.ts';
import { RateLimitedError } from './rate-limited-error.ts';

export interface RateLimiterOptions {
  readonly config: RateLimitingConfig;
  readonly store: LimiterStore;
  /** Waits `ms` (the sign-in slow-down); tests pass one that records the wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface LoginCheck {
  /** How long the attempt was held back because the account's whole budget is spent (0 if not). */
  readonly slowedMs: number;
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Accounts and addresses are limited case-insensitively (`Alice` is `alice`). */
const normalise = (value: string): string => value.trim().toLowerCase();

export class RateLimiter {
  readonly storeKind: LimiterStore['kind'];
  readonly #store: LimiterStore;
  readonly #limiters: Record<LimiterName, RateLimiterAbstract>;
  readonly #slowdownMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: RateLimiterOptions) {
    this.storeKind = options.store.kind;
    this.#store = options.store;
    const specs = limiterSpecs(options.config);
    this.#limiters = Object.fromEntries(
      (Object.keys(specs) as LimiterName[]).map((name) => [
        name,
        options.store.create(name, specs[name]),
      ]),
    ) as Record<LimiterName, RateLimiterAbstract>;
    this.#slowdownMs = loginSlowdownMs(options.config);
    this.#sleep = options.sleep ?? defaultSleep;
  }

  // --- sign-in -------------------------------------------------------------------------------

  /** Before checking a sign-in password for `account` (a username) from `ip`. */
  async checkLogin(ip: string, account: string): Promise<LoginCheck> {
    const source = clientAddressKey(ip);
    const user = normalise(account);
    await this.#consume('login.per_ip', source);
    await this.#consume('login.per_account', `${user} ${source}`);
    const spent = !(await this.#tryConsume('login.per_account_global', user));
    if (!spent) return { slowedMs: 0 };
    await this.#sleep(this.#slowdownMs);
    return { slowedMs: this.#slowdownMs };
  }

  /** After a correct sign-in password: forget this source's failures on the account. */
  async loginSucceeded(ip: string, account: string): Promise<void> {
    const user = normalise(account);
    await this.#limiters['login.per_account'].delete(`${user} ${clientAddressKey(ip)}`);
    await this.#limiters['login.per_account_global'].reward(user, 1);
  }

  // --- password change -----------------------------------------------------------------------

  /** Before checking the current password of `account` during a password change. */
  async checkPasswordChange(ip: string, account: string): Promise<void> {
    await this.#consume('login.per_ip', clientAddressKey(ip));
    await this.#consume('password_change.per_account', normalise(account));
  }

  /** After a correct current password: the account's earlier mistakes are forgiven. */
  async passwordChangeSucceeded(account: string): Promise<void> {
    await this.#limiters['password_change.per_account'].delete(normalise(account));
  }

  // --- registration and recovery -------------------------------------------------------------

  /** Before starting a password registration from `ip`. */
  async checkRegistration(ip: string): Promise<void> {
    await this.#consume('registration', clientAddressKey(ip));
  }

  /** Before sending (or re-sending) a recovery email to `address` for a request from `ip`. */
  async checkAccountRecovery(ip: string, address: string): Promise<void> {
    await this.#consume('account_recovery.per_ip', clientAddressKey(ip));
    await this.#consume('account_recovery.per_address', normalise(address));
  }

  // --- email verification codes --------------------------------------------------------------

  /** Before starting an email verification of `address` (the first code) for `ip`. */
  async checkEmailAuthentication(ip: string, address: string): Promise<void> {
    await this.#consume('email_authentication.per_ip', clientAddressKey(ip));
    await this.#consume('email_authentication.per_address', normalise(address));
  }

  /** Before emailing another code for verification session `sessionId` to `address`. */
  async checkEmailResend(sessionId: string, address: string): Promise<void> {
    await this.#consume('email_authentication.emails_per_session', sessionId);
    await this.#consume('email_authentication.per_address', normalise(address));
  }

  /** Before comparing a code typed for verification session `sessionId`. */
  async checkEmailCodeAttempt(sessionId: string): Promise<void> {
    await this.#consume('email_authentication.attempt_per_session', sessionId);
  }

  /** Closes the store's connection (Redis); on shutdown. */
  async close(): Promise<void> {
    await this.#store.close?.();
  }

  // --- internals -----------------------------------------------------------------------------

  /** Spends one action of `name` under `key`, or throws `RateLimitedError`. */
  async #consume(name: LimiterName, key: string): Promise<void> {
    try {
      await this.#limiters[name].consume(key, 1);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw new RateLimitedError(name, error.msBeforeNext);
      throw error;
    }
  }

  /** Spends one action of `name` under `key`; false when over the limit. */
  async #tryConsume(name: LimiterName, key: string): Promise<boolean> {
    try {
      await this.#consume(name, key);
      return true;
    } catch (error) {
      if (error instanceof RateLimitedError) return false;
      throw error;
    }
  }
}
