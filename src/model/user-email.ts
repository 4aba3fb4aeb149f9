// A verified email address of a user (MAS: `user_emails`). Only verified addresses are kept here:
// an address being verified is an email authentication (./email-authentication.ts) until its code
// is entered. The same address may belong to several accounts (MAS allows it; recovery then mails
// every one of them). Addresses compare case-insensitively everywhere (`emailKey`).

import type { Id, UserId } from './ids.ts';

export type UserEmailId = Id<'UserEmailId'>;
export const asUserEmailId = (value: string): UserEmailId => value as UserEmailId;

export interface UserEmail {
  readonly id: UserEmailId;
  readonly userId: UserId;
  /** As the user typed it (case kept for display and for sending). */
  readonly email: string;
  readonly createdAt: Date;
}

/** The form addresses are compared and looked up by: trimmed and lower-cased. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/** A plausible address: one `@`, something on both sides, no spaces; at most 254 characters. */
export function isPlausibleEmail(email: string): boolean {
  return /^[^\s@<>"]+@[^\s@<>"]+$/.test(email) && email.length <= 254;
}
