// `UserLockRepository` over Kysely: one upsert that only overwrites an expired lease or the
// caller's own (`INSERT … ON CONFLICT DO UPDATE … WHERE`), the same statement on SQLite and
// PostgreSQL. Whether the lease was taken is whether the statement returned the row.

import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import type { UserId } from '../../../model/ids.ts';
import type { UserLockRepository } from '../../user-lock-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema } from '../schema.ts';

export class SqlUserLockRepository implements UserLockRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async tryAcquire(clock: Clock, userId: UserId, holder: string, ttlMs: number): Promise<boolean> {
    const now = clock.now();
    const expiresAt = this.#dialect.toTimestamp(new Date(now.getTime() + ttlMs));
    const row = await this.#db
      .insertInto('user_locks')
      .values({ user_id: userId, holder, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet({ holder, expires_at: expiresAt })
          .where((eb) =>
            eb.or([
              eb('user_locks.expires_at', '<=', this.#dialect.toTimestamp(now)),
              eb('user_locks.holder', '=', holder),
            ]),
          ),
      )
      .returning('holder')
      .executeTakeFirst();
    return row !== undefined;
  }

  async release(userId: UserId, holder: string): Promise<void> {
    await this.#db
      .deleteFrom('user_locks')
      .where('user_id', '=', userId)
      .where('holder', '=', holder)
      .execute();
  }
}
