// `RecoveryRepository` over Kysely. Tickets are stored as their hex SHA-256 (hashed here, so no
// caller can store one in plaintext by mistake); a ticket's account comes from its address row.

import { createHash } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asUserId } from '../../../model/ids.ts';
import {
  asRecoverySessionId,
  asRecoveryTicketId,
  RECOVERY_TICKET_LIFETIME_MS,
  type RecoverySession,
  type RecoverySessionId,
  type RecoveryTicket,
} from '../../../model/recovery-session.ts';
import { asUserEmailId, type UserEmail } from '../../../model/user-email.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { NewRecoverySession, RecoveryRepository } from '../../recovery-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UserRecoverySessionsTable, UserRecoveryTicketsTable } from '../schema.ts';

function ticketHash(ticket: string): string {
  return createHash('sha256').update(ticket, 'utf8').digest('hex');
}

function toSession(row: Selectable<UserRecoverySessionsTable>, d: SqlDialect): RecoverySession {
  return {
    id: asRecoverySessionId(row.id),
    email: row.email,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    locale: row.locale,
    createdAt: d.fromTimestamp(row.created_at),
    consumedAt: d.fromNullableTimestamp(row.consumed_at),
  };
}

function toTicket(
  row: Selectable<UserRecoveryTicketsTable>,
  userId: string,
  d: SqlDialect,
): RecoveryTicket {
  return {
    id: asRecoveryTicketId(row.id),
    sessionId: asRecoverySessionId(row.user_recovery_session_id),
    userEmailId: asUserEmailId(row.user_email_id),
    userId: asUserId(userId),
    createdAt: d.fromTimestamp(row.created_at),
    expiresAt: d.fromTimestamp(row.expires_at),
  };
}

export class SqlRecoveryRepository implements RecoveryRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookupSession(id: RecoverySessionId): Promise<RecoverySession | null> {
    const row = await this.#db
      .selectFrom('user_recovery_sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toSession(row, this.#dialect);
  }

  async addSession(rng: Rng, clock: Clock, session: NewRecoverySession): Promise<RecoverySession> {
    const row = await this.#db
      .insertInto('user_recovery_sessions')
      .values({
        id: newUlid(clock, rng),
        email: session.email.trim(),
        ip_address: session.ipAddress ?? null,
        user_agent: session.userAgent ?? null,
        locale: session.locale,
        created_at: this.#dialect.toTimestamp(clock.now()),
        consumed_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSession(row, this.#dialect);
  }

  async addTicket(
    rng: Rng,
    clock: Clock,
    session: RecoverySession,
    userEmail: UserEmail,
    ticket: string,
    lifetimeMs: number = RECOVERY_TICKET_LIFETIME_MS,
  ): Promise<RecoveryTicket> {
    const d = this.#dialect;
    const now = clock.now();
    const row = await this.#db
      .insertInto('user_recovery_tickets')
      .values({
        id: newUlid(clock, rng),
        user_recovery_session_id: session.id,
        user_email_id: userEmail.id,
        ticket_hash: ticketHash(ticket),
        created_at: d.toTimestamp(now),
        expires_at: d.toTimestamp(new Date(now.getTime() + lifetimeMs)),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toTicket(row, userEmail.userId, d);
  }

  async findTicket(ticket: string): Promise<RecoveryTicket | null> {
    const row = await this.#db
      .selectFrom('user_recovery_tickets')
      .innerJoin('user_emails', 'user_emails.id', 'user_recovery_tickets.user_email_id')
      .selectAll('user_recovery_tickets')
      .select('user_emails.user_id as owner_id')
      .where('user_recovery_tickets.ticket_hash', '=', ticketHash(ticket))
      .executeTakeFirst();
    return row === undefined ? null : toTicket(row, row.owner_id, this.#dialect);
  }

  async consumeSession(clock: Clock, session: RecoverySession): Promise<RecoverySession | null> {
    const row = await this.#db
      .updateTable('user_recovery_sessions')
      .set({ consumed_at: this.#dialect.toTimestamp(clock.now()) })
      .where('id', '=', session.id)
      .where('consumed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toSession(row, this.#dialect);
  }

  async deleteCreatedBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('user_recovery_sessions')
      .where('created_at', '<', this.#dialect.toTimestamp(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
