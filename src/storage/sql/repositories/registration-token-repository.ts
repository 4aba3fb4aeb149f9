// `UserRegistrationTokenRepository` over Kysely. `use` checks validity inside its UPDATE, so the
// last use of a limited token goes to exactly one of two concurrent registrations.

import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  type Transaction,
} from 'kysely';
import type { Clock } from '../../../clock.ts';
import {
  asUserRegistrationTokenId,
  type UserRegistrationToken,
  type UserRegistrationTokenId,
} from '../../../model/registration-token.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  NewUserRegistrationToken,
  UserRegistrationTokenFilter,
  UserRegistrationTokenRepository,
} from '../../registration-token-repository.ts';
import type { Page, Pagination } from '../../user-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UserRegistrationTokensTable } from '../schema.ts';
import { pageById } from './id-pagination.ts';

type TokenExpressions = ExpressionBuilder<Schema, 'user_registration_tokens'>;

function toToken(
  row: Selectable<UserRegistrationTokensTable>,
  d: SqlDialect,
): UserRegistrationToken {
  return {
    id: asUserRegistrationTokenId(row.id),
    token: row.token,
    usageLimit: row.usage_limit === null ? null : Number(row.usage_limit),
    timesUsed: Number(row.times_used),
    createdAt: d.fromTimestamp(row.created_at),
    lastUsedAt: d.fromNullableTimestamp(row.last_used_at),
    expiresAt: d.fromNullableTimestamp(row.expires_at),
    revokedAt: d.fromNullableTimestamp(row.revoked_at),
  };
}

export class SqlUserRegistrationTokenRepository implements UserRegistrationTokenRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  lookup(id: UserRegistrationTokenId): Promise<UserRegistrationToken | null> {
    return this.#findBy('id', id);
  }

  findByToken(token: string): Promise<UserRegistrationToken | null> {
    return this.#findBy('token', token);
  }

  async add(
    rng: Rng,
    clock: Clock,
    token: NewUserRegistrationToken,
  ): Promise<UserRegistrationToken | null> {
    const d = this.#dialect;
    const row = await this.#db
      .insertInto('user_registration_tokens')
      .values({
        id: newUlid(clock, rng),
        token: token.token,
        usage_limit: token.usageLimit ?? null,
        times_used: 0,
        created_at: d.toTimestamp(clock.now()),
        last_used_at: null,
        expires_at: token.expiresAt == null ? null : d.toTimestamp(token.expiresAt),
        revoked_at: null,
      })
      .onConflict((oc) => oc.column('token').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toToken(row, d);
  }

  async use(clock: Clock, token: UserRegistrationToken): Promise<UserRegistrationToken | null> {
    const now = this.#dialect.toTimestamp(clock.now());
    const row = await this.#db
      .updateTable('user_registration_tokens')
      .set({ times_used: sql<number>`times_used + 1`, last_used_at: now })
      .where('id', '=', token.id)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .where((eb) =>
        eb.or([eb('usage_limit', 'is', null), eb('times_used', '<', eb.ref('usage_limit'))]),
      )
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toToken(row, this.#dialect);
  }

  async revoke(clock: Clock, token: UserRegistrationToken): Promise<UserRegistrationToken> {
    await this.#db
      .updateTable('user_registration_tokens')
      .set({ revoked_at: this.#dialect.toTimestamp(clock.now()) })
      .where('id', '=', token.id)
      .where('revoked_at', 'is', null)
      .execute();
    return this.#mustExist(token.id);
  }

  async unrevoke(token: UserRegistrationToken): Promise<UserRegistrationToken> {
    await this.#db
      .updateTable('user_registration_tokens')
      .set({ revoked_at: null })
      .where('id', '=', token.id)
      .execute();
    return this.#mustExist(token.id);
  }

  async update(
    token: UserRegistrationToken,
    changes: { readonly expiresAt?: Date | null; readonly usageLimit?: number | null },
  ): Promise<UserRegistrationToken> {
    const { expiresAt, usageLimit } = changes;
    if (expiresAt !== undefined || usageLimit !== undefined) {
      await this.#db
        .updateTable('user_registration_tokens')
        .set({
          ...(expiresAt === undefined
            ? {}
            : { expires_at: expiresAt === null ? null : this.#dialect.toTimestamp(expiresAt) }),
          ...(usageLimit === undefined ? {} : { usage_limit: usageLimit }),
        })
        .where('id', '=', token.id)
        .execute();
    }
    return this.#mustExist(token.id);
  }

  async list(): Promise<UserRegistrationToken[]> {
    const rows = await this.#db
      .selectFrom('user_registration_tokens')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => toToken(row, this.#dialect));
  }

  listPage(
    filter: UserRegistrationTokenFilter,
    pagination: Pagination<UserRegistrationTokenId>,
  ): Promise<Page<UserRegistrationToken>> {
    return pageById(
      pagination,
      () => this.#filtered(filter),
      (row: Parameters<typeof toToken>[0]) => toToken(row, this.#dialect),
    );
  }

  async count(filter: UserRegistrationTokenFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  #filtered(filter: UserRegistrationTokenFilter) {
    const now = this.#dialect.toTimestamp(filter.now);
    const expired = (eb: TokenExpressions): Expression<SqlBool> =>
      eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<=', now)]);
    // The negation of `use`'s condition, as `registrationTokenState` reads it.
    const valid = (eb: TokenExpressions): Expression<SqlBool> =>
      eb.and([
        eb('revoked_at', 'is', null),
        eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]),
        eb.or([eb('usage_limit', 'is', null), eb('times_used', '<', eb.ref('usage_limit'))]),
      ]);
    return this.#db.selectFrom('user_registration_tokens').where((eb) => {
      const conditions: Expression<SqlBool>[] = [];
      if (filter.used !== undefined) {
        conditions.push(filter.used ? eb('times_used', '>', 0) : eb('times_used', '=', 0));
      }
      if (filter.revoked !== undefined) {
        conditions.push(eb('revoked_at', filter.revoked ? 'is not' : 'is', null));
      }
      if (filter.expired !== undefined) {
        conditions.push(filter.expired ? expired(eb) : eb.not(expired(eb)));
      }
      if (filter.valid !== undefined) {
        conditions.push(filter.valid ? valid(eb) : eb.not(valid(eb)));
      }
      return eb.and(conditions);
    });
  }

  async #mustExist(id: UserRegistrationTokenId): Promise<UserRegistrationToken> {
    const current = await this.lookup(id);
    // The caller loaded the token in this transaction; a missing row is a bug, not "not found".
    if (current === null) throw new Error(`registration token ${id} does not exist`);
    return current;
  }

  async #findBy(column: 'id' | 'token', value: string): Promise<UserRegistrationToken | null> {
    const row = await this.#db
      .selectFrom('user_registration_tokens')
      .selectAll()
      .where(column, '=', value)
      .executeTakeFirst();
    return row === undefined ? null : toToken(row, this.#dialect);
  }
}
