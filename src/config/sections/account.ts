// `account` section: what users may do with their own account.

import { z } from 'zod';

const flag = (fallback: boolean, description: string) =>
  z.boolean().default(fallback).describe(description);

export const accountSchema = z
  .strictObject({
    email_change_allowed: flag(
      true,
      'Whether users may add, change and remove their email addresses.',
    ),
    displayname_change_allowed: flag(
      true,
      'Whether users may change their display name. Keep it in line with the homeserver setting.',
    ),
    password_registration_enabled: flag(
      false,
      'Whether people may register an account with a password. No effect when passwords are disabled.',
    ),
    password_registration_email_required: flag(
      true,
      'Whether password registration asks for (and verifies) an email address.',
    ),
    password_change_allowed: flag(
      true,
      'Whether users may change their password. No effect when passwords are disabled.',
    ),
    password_recovery_enabled: flag(
      false,
      'Whether users may reset a forgotten password by email. No effect when passwords are disabled.',
    ),
    account_deactivation_allowed: flag(
      true,
      'Whether users may deactivate (delete) their own account.',
    ),
    login_with_email_allowed: flag(
      false,
      'Whether users may sign in with an email address instead of their username. No effect when passwords are disabled.',
    ),
    password_registration_token_required: flag(
      false,
      'Whether password registration requires a valid registration token.',
    ),
    registration_token_required: flag(
      false,
      'Deprecated alias of `password_registration_token_required`; either being `true` requires a token.',
    ),
    personal_access_tokens_allowed: flag(
      true,
      'Gatehouse only: whether users may create and revoke their own personal access tokens at `/account/tokens`. Admins can always issue them through the Admin API.',
    ),
  })
  .describe('Account management features offered to users.');

export type AccountConfig = z.infer<typeof accountSchema>;
