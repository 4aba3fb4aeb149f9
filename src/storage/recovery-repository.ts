// Password recovery sessions and tickets (see model/recovery-session.ts). Tickets are handed in
// and looked up as plaintext; only their SHA-256 is stored.

import type { Clock } from '../clock.ts';
import type {
  RecoverySession,
  RecoverySessionId,
  RecoveryTicket,
} from '../model/recovery-session.ts';
import type { UserEmail } from '../model/user-email.ts';
import type { Rng } from '../rng.ts';

export interface NewRecoverySession {
  readonly email: string;
  readonly ipAddress?: string | null;
  readonly userAgent?: string | null;
  readonly locale: string;
}

export interface RecoveryRepository {
  lookupSession(id: RecoverySessionId): Promise<RecoverySession | null>;
  addSession(rng: Rng, clock: Clock, session: NewRecoverySession): Promise<RecoverySession>;
  /**
   * Stores a ticket for one account's address, valid `RECOVERY_TICKET_LIFETIME_MS` from
   * `clock.now()` unless `lifetimeMs` says otherwise.
   */
  addTicket(
    rng: Rng,
    clock: Clock,
    session: RecoverySession,
    userEmail: UserEmail,
    ticket: string,
    lifetimeMs?: number,
  ): Promise<RecoveryTicket>;
  /** The ticket with this plaintext, expired or not (the page tells which), or null. */
  findTicket(ticket: string): Promise<RecoveryTicket | null>;
  /**
   * Consumes the session: after this none of its tickets works. Null when it was already consumed
   * (the link was used, perhaps concurrently).
   */
  consumeSession(clock: Clock, session: RecoverySession): Promise<RecoverySession | null>;
  /** Retention: deletes sessions (and their tickets) created before `before`; returns how many. */
  deleteCreatedBefore(before: Date): Promise<number>;
}
