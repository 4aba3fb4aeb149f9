// Password recovery (MAS: `user_recovery_sessions` + `user_recovery_tickets`). Someone asks at
// /recover for an address: a session records the request, and the worker mails a ticket link to
// every active account holding that address (one ticket per account address). A ticket works for
// 10 minutes, and using one consumes the whole session, so a link works at most once. Only the
// SHA-256 of a ticket is stored (MAS keeps them in plaintext).

import type { Id, UserId } from './ids.ts';
import type { UserEmailId } from './user-email.ts';

export type RecoverySessionId = Id<'RecoverySessionId'>;
export type RecoveryTicketId = Id<'RecoveryTicketId'>;
export const asRecoverySessionId = (value: string): RecoverySessionId => value as RecoverySessionId;
export const asRecoveryTicketId = (value: string): RecoveryTicketId => value as RecoveryTicketId;

/** How long a mailed recovery link works (MAS: 10 minutes). */
export const RECOVERY_TICKET_LIFETIME_MS = 10 * 60 * 1000;
/** A ticket is this many `[A-Za-z0-9]` characters. */
export const RECOVERY_TICKET_LENGTH = 32;

export interface RecoverySession {
  readonly id: RecoverySessionId;
  /** The address as typed on /recover. */
  readonly email: string;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  /** The locale of the page, for the language of the mail. */
  readonly locale: string;
  readonly createdAt: Date;
  readonly consumedAt: Date | null;
}

export interface RecoveryTicket {
  readonly id: RecoveryTicketId;
  readonly sessionId: RecoverySessionId;
  readonly userEmailId: UserEmailId;
  /** The account the ticket recovers (the owner of `userEmailId`). */
  readonly userId: UserId;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export function isRecoveryTicketExpired(ticket: RecoveryTicket, now: Date): boolean {
  return ticket.expiresAt.getTime() <= now.getTime();
}

export function isRecoverySessionConsumed(session: RecoverySession): boolean {
  return session.consumedAt !== null;
}

/** True when `value` has the shape of a ticket (checked before any database access). */
export function isRecoveryTicketShaped(value: string): boolean {
  return /^[A-Za-z0-9]{32}$/.test(value);
}
