// Re-authentication on the account pages: a change that matters (adding or removing an email
// address, deactivating the account) asks for the current password when the account has one
// (MAS: `verify_password_if_needed`). Accounts without a password (upstream sign-in only) skip it.
//
// Checked under the password-change rate limit, before the password is compared, and outside any
// transaction (hashing is slow).

import type { FastifyRequest } from 'fastify';
import { PasswordManagerBusyError } from '../../../crypto/password-manager.ts';
import type { User } from '../../../model/user.ts';
import { limitOrPage } from '../../../rate-limit/rate-limit-page.ts';
import type { AccountDeps } from './account-access.ts';
import { busyPageError } from './page.ts';

/** The user's active password, read in its own short transaction (null: the account has none). */
export async function activePassword(deps: AccountDeps, user: User) {
  if (!deps.passwords.enabled) return null;
  return deps.storage.transaction((repos) => repos.userPasswords.active(user));
}

/**
 * True when `password` is the user's current password, or the account has none. Over the rate
 * limit: the 429 page (going back to `back`).
 */
export async function passwordConfirmed(
  request: FastifyRequest,
  deps: AccountDeps,
  user: User,
  password: string,
  back: string,
): Promise<boolean> {
  const stored = await activePassword(deps, user);
  if (stored === null) return true;
  await limitOrPage(() => deps.rateLimiter.checkPasswordChange(request.ip, user.username), back);
  if (password === '') return false;
  let ok: boolean;
  try {
    ok = (await deps.passwords.verify(stored.version, stored.hashedPassword, password)).ok;
  } catch (error) {
    if (error instanceof PasswordManagerBusyError) throw busyPageError(back);
    // A scheme the operator removed: the password cannot be checked here.
    ok = false;
  }
  if (ok) await deps.rateLimiter.passwordChangeSucceeded(user.username);
  return ok;
}
