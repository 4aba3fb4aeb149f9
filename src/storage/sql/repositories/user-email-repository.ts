// `UserEmailRepository` over Kysely. Lookups go through `email_key` (see migrations/0005).

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asUserId } from '../../../model/ids.ts';
import type { User } from '../../../model/user.ts';
import {
  asUserEmailId,
  emailKey,
  type UserEmail,
  type UserEmailId,
} from '../../../model/user-email.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { UserEmailFilter, UserEmailRepository } from '../../user-email-repository.ts';
import type { Page, Pagination } from '../../user-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UserEmailsTable } from '../schema.ts';
import { pageById } from './id-pagination.ts';

function toUserEmail(row: Selectable<UserEmailsTable>, d: SqlDialect): UserEmail {
  return {
    id: asUserEmailId(row.id),
    userId: asUserId(row.user_id),
    email: row.email,
    createdAt: d.fromTimestamp(row.created_at),
  };
}

export class SqlUserEmailRepository implements UserEmailRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookup(id: UserEmailId): Promise<UserEmail | null> {
    const row = await this.#db
      .selectFrom('user_emails')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toUserEmail(row, this.#dialect);
  }

  async listForUser(user: User): Promise<UserEmail[]> {
    const rows = await this.#db
      .selectFrom('user_emails')
      .selectAll()
      .where('user_id', '=', user.id)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => toUserEmail(row, this.#dialect));
  }

  async countForUser(user: User): Promise<number> {
    const row = await this.#db
      .selectFrom('user_emails')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .where('user_id', '=', user.id)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async findForUser(user: User, email: string): Promise<UserEmail | null> {
    const row = await this.#db
      .selectFrom('user_emails')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('email_key', '=', emailKey(email))
      .executeTakeFirst();
    return row === undefined ? null : toUserEmail(row, this.#dialect);
  }

  async listByEmail(email: string): Promise<UserEmail[]> {
    const rows = await this.#db
      .selectFrom('user_emails')
      .selectAll()
      .where('email_key', '=', emailKey(email))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => toUserEmail(row, this.#dialect));
  }

  async add(rng: Rng, clock: Clock, user: User, email: string): Promise<UserEmail> {
    const row = await this.#db
      .insertInto('user_emails')
      .values({
        id: newUlid(clock, rng),
        user_id: user.id,
        email: email.trim(),
        email_key: emailKey(email),
        created_at: this.#dialect.toTimestamp(clock.now()),
      })
      .onConflict((oc) => oc.columns(['user_id', 'email_key']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toUserEmail(row, this.#dialect);
    const existing = await this.findForUser(user, email);
    if (existing === null)
      throw new Error(`user ${user.id} has no address ${email} after a conflict`);
    return existing;
  }

  list(filter: UserEmailFilter, pagination: Pagination<UserEmailId>): Promise<Page<UserEmail>> {
    return pageById(
      pagination,
      () => this.#filtered(filter),
      (row: Parameters<typeof toUserEmail>[0]) => toUserEmail(row, this.#dialect),
    );
  }

  async count(filter: UserEmailFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  #filtered(filter: UserEmailFilter) {
    return this.#db
      .selectFrom('user_emails')
      .$if(filter.userId !== undefined, (q) => q.where('user_id', '=', filter.userId!))
      .$if(filter.email !== undefined, (q) => q.where('email_key', '=', emailKey(filter.email!)));
  }

  async remove(email: UserEmail): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('user_emails')
      .where('id', '=', email.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async removeAllForUser(user: User): Promise<number> {
    const result = await this.#db
      .deleteFrom('user_emails')
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
