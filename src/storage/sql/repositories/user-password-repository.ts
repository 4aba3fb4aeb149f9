// `UserPasswordRepository` over Kysely. Rows are only ever inserted; the newest is the active one.

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asUserId, asUserPasswordId } from '../../../model/ids.ts';
import type { User } from '../../../model/user.ts';
import type { UserPassword } from '../../../model/user-password.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { UserPasswordRepository } from '../../user-password-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UserPasswordsTable } from '../schema.ts';

function toUserPassword(row: Selectable<UserPasswordsTable>, dialect: SqlDialect): UserPassword {
  return {
    id: asUserPasswordId(row.id),
    userId: asUserId(row.user_id),
    hashedPassword: row.hashed_password,
    version: row.version,
    upgradedFromId: row.upgraded_from_id === null ? null : asUserPasswordId(row.upgraded_from_id),
    createdAt: dialect.fromTimestamp(row.created_at),
  };
}

export class SqlUserPasswordRepository implements UserPasswordRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async active(user: User): Promise<UserPassword | null> {
    const row = await this.#db
      .selectFrom('user_passwords')
      .selectAll()
      .where('user_id', '=', user.id)
      // Two passwords set in the same instant: the id (a ULID made later) breaks the tie.
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : toUserPassword(row, this.#dialect);
  }

  async add(
    rng: Rng,
    clock: Clock,
    user: User,
    version: number,
    hashedPassword: string,
    upgradedFrom: UserPassword | null = null,
  ): Promise<UserPassword> {
    const row = await this.#db
      .insertInto('user_passwords')
      .values({
        id: newUlid(clock, rng),
        user_id: user.id,
        hashed_password: hashedPassword,
        version,
        upgraded_from_id: upgradedFrom?.id ?? null,
        created_at: this.#dialect.toTimestamp(clock.now()),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toUserPassword(row, this.#dialect);
  }
}
