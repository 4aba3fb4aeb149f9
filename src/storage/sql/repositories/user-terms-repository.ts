// `UserTermsRepository` over Kysely: one row per (user, URL).

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asUserId } from '../../../model/ids.ts';
import type { User } from '../../../model/user.ts';
import { asUserTermsId, type UserTerms } from '../../../model/user-terms.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { UserTermsRepository } from '../../user-terms-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UserTermsTable } from '../schema.ts';

function toTerms(row: Selectable<UserTermsTable>, d: SqlDialect): UserTerms {
  return {
    id: asUserTermsId(row.id),
    userId: asUserId(row.user_id),
    termsUrl: row.terms_url,
    createdAt: d.fromTimestamp(row.created_at),
  };
}

export class SqlUserTermsRepository implements UserTermsRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async accept(rng: Rng, clock: Clock, user: User, termsUrl: string): Promise<UserTerms> {
    const inserted = await this.#db
      .insertInto('user_terms')
      .values({
        id: newUlid(clock, rng),
        user_id: user.id,
        terms_url: termsUrl,
        created_at: this.#dialect.toTimestamp(clock.now()),
      })
      .onConflict((oc) => oc.columns(['user_id', 'terms_url']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted !== undefined) return toTerms(inserted, this.#dialect);
    const row = await this.#db
      .selectFrom('user_terms')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('terms_url', '=', termsUrl)
      .executeTakeFirstOrThrow();
    return toTerms(row, this.#dialect);
  }

  async listForUser(user: User): Promise<UserTerms[]> {
    const rows = await this.#db
      .selectFrom('user_terms')
      .selectAll()
      .where('user_id', '=', user.id)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => toTerms(row, this.#dialect));
  }
}
