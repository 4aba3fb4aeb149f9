// `EmailAuthenticationRepository` over Kysely. The attempt counter is incremented in SQL, and
// completion is a conditional UPDATE, so two concurrent requests cannot both complete it.

import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import type { BrowserSession } from '../../../model/browser-session.ts';
import {
  asEmailAuthenticationCodeId,
  asEmailAuthenticationId,
  EMAIL_CODE_LIFETIME_MS,
  type EmailAuthentication,
  type EmailAuthenticationCode,
  type EmailAuthenticationId,
} from '../../../model/email-authentication.ts';
import { asBrowserSessionId } from '../../../model/ids.ts';
import { asUserRegistrationId, type UserRegistration } from '../../../model/user-registration.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { EmailAuthenticationRepository } from '../../email-authentication-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type {
  Schema,
  UserEmailAuthenticationCodesTable,
  UserEmailAuthenticationsTable,
} from '../schema.ts';

function toAuthentication(
  row: Selectable<UserEmailAuthenticationsTable>,
  d: SqlDialect,
): EmailAuthentication {
  return {
    id: asEmailAuthenticationId(row.id),
    email: row.email,
    browserSessionId: row.user_session_id === null ? null : asBrowserSessionId(row.user_session_id),
    registrationId:
      row.user_registration_id === null ? null : asUserRegistrationId(row.user_registration_id),
    attempts: Number(row.attempts),
    createdAt: d.fromTimestamp(row.created_at),
    completedAt: d.fromNullableTimestamp(row.completed_at),
  };
}

function toCode(
  row: Selectable<UserEmailAuthenticationCodesTable>,
  d: SqlDialect,
): EmailAuthenticationCode {
  return {
    id: asEmailAuthenticationCodeId(row.id),
    authenticationId: asEmailAuthenticationId(row.user_email_authentication_id),
    code: row.code,
    createdAt: d.fromTimestamp(row.created_at),
    expiresAt: d.fromTimestamp(row.expires_at),
  };
}

export class SqlEmailAuthenticationRepository implements EmailAuthenticationRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookup(id: EmailAuthenticationId): Promise<EmailAuthentication | null> {
    const row = await this.#db
      .selectFrom('user_email_authentications')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toAuthentication(row, this.#dialect);
  }

  addForRegistration(
    rng: Rng,
    clock: Clock,
    registration: UserRegistration,
    email: string,
  ): Promise<EmailAuthentication> {
    return this.#add(rng, clock, email, null, registration.id);
  }

  addForBrowserSession(
    rng: Rng,
    clock: Clock,
    session: BrowserSession,
    email: string,
  ): Promise<EmailAuthentication> {
    return this.#add(rng, clock, email, session.id, null);
  }

  async addCode(
    rng: Rng,
    clock: Clock,
    authentication: EmailAuthentication,
    code: string,
    lifetimeMs: number = EMAIL_CODE_LIFETIME_MS,
  ): Promise<EmailAuthenticationCode> {
    const d = this.#dialect;
    const now = clock.now();
    const row = await this.#db
      .insertInto('user_email_authentication_codes')
      .values({
        id: newUlid(clock, rng),
        user_email_authentication_id: authentication.id,
        code,
        created_at: d.toTimestamp(now),
        expires_at: d.toTimestamp(new Date(now.getTime() + lifetimeMs)),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCode(row, d);
  }

  async findValidCode(
    clock: Clock,
    authentication: EmailAuthentication,
    code: string,
  ): Promise<EmailAuthenticationCode | null> {
    const row = await this.#db
      .selectFrom('user_email_authentication_codes')
      .selectAll()
      .where('user_email_authentication_id', '=', authentication.id)
      .where('code', '=', code)
      .where('expires_at', '>', this.#dialect.toTimestamp(clock.now()))
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return row === undefined ? null : toCode(row, this.#dialect);
  }

  async recordFailedAttempt(authentication: EmailAuthentication): Promise<EmailAuthentication> {
    const row = await this.#db
      .updateTable('user_email_authentications')
      .set({ attempts: sql<number>`attempts + 1` })
      .where('id', '=', authentication.id)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined)
      throw new Error(`email authentication ${authentication.id} does not exist`);
    return toAuthentication(row, this.#dialect);
  }

  async complete(
    clock: Clock,
    authentication: EmailAuthentication,
    code: EmailAuthenticationCode,
  ): Promise<EmailAuthentication | null> {
    if (code.authenticationId !== authentication.id) {
      throw new Error(
        `code ${code.id} does not belong to email authentication ${authentication.id}`,
      );
    }
    const row = await this.#db
      .updateTable('user_email_authentications')
      .set({ completed_at: this.#dialect.toTimestamp(clock.now()) })
      .where('id', '=', authentication.id)
      .where('completed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toAuthentication(row, this.#dialect);
  }

  async deleteCreatedBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('user_email_authentications')
      .where('created_at', '<', this.#dialect.toTimestamp(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #add(
    rng: Rng,
    clock: Clock,
    email: string,
    browserSessionId: string | null,
    registrationId: string | null,
  ): Promise<EmailAuthentication> {
    const row = await this.#db
      .insertInto('user_email_authentications')
      .values({
        id: newUlid(clock, rng),
        email: email.trim(),
        user_session_id: browserSessionId,
        user_registration_id: registrationId,
        attempts: 0,
        created_at: this.#dialect.toTimestamp(clock.now()),
        completed_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAuthentication(row, this.#dialect);
  }
}
