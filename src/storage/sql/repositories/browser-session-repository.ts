// `BrowserSessionRepository` over Kysely (table `user_sessions`, as in MAS).

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import type { BrowserSession } from '../../../model/browser-session.ts';
import { asBrowserSessionId, asUserId, type BrowserSessionId } from '../../../model/ids.ts';
import type { User } from '../../../model/user.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { BrowserSessionRepository } from '../../browser-session-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UserSessionsTable } from '../schema.ts';

function toBrowserSession(row: Selectable<UserSessionsTable>, dialect: SqlDialect): BrowserSession {
  return {
    id: asBrowserSessionId(row.id),
    userId: asUserId(row.user_id),
    createdAt: dialect.fromTimestamp(row.created_at),
    finishedAt: dialect.fromNullableTimestamp(row.finished_at),
    userAgent: row.user_agent,
    lastActiveAt: dialect.fromNullableTimestamp(row.last_active_at),
    lastActiveIp: row.last_active_ip,
  };
}

export class SqlBrowserSessionRepository implements BrowserSessionRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookup(id: BrowserSessionId): Promise<BrowserSession | null> {
    const row = await this.#db
      .selectFrom('user_sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toBrowserSession(row, this.#dialect);
  }

  async add(
    rng: Rng,
    clock: Clock,
    user: User,
    userAgent: string | null = null,
  ): Promise<BrowserSession> {
    const row = await this.#db
      .insertInto('user_sessions')
      .values({
        id: newUlid(clock, rng),
        user_id: user.id,
        created_at: this.#dialect.toTimestamp(clock.now()),
        finished_at: null,
        user_agent: userAgent,
        last_active_at: null,
        last_active_ip: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toBrowserSession(row, this.#dialect);
  }

  async finish(clock: Clock, session: BrowserSession): Promise<BrowserSession> {
    const now = this.#dialect.toTimestamp(clock.now());
    const row = await this.#db
      .updateTable('user_sessions')
      .set((eb) => ({ finished_at: eb.fn.coalesce('finished_at', eb.val(now)) }))
      .where('id', '=', session.id)
      .returningAll()
      .executeTakeFirst();
    // The caller loaded the session in this transaction; a missing row is a bug, not "not found".
    if (row === undefined) throw new Error(`browser session ${session.id} does not exist`);
    return toBrowserSession(row, this.#dialect);
  }

  async finishAllForUser(clock: Clock, user: User): Promise<number> {
    const result = await this.#db
      .updateTable('user_sessions')
      .set({ finished_at: this.#dialect.toTimestamp(clock.now()) })
      .where('user_id', '=', user.id)
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async listActiveForUser(user: User): Promise<BrowserSession[]> {
    const rows = await this.#db
      .selectFrom('user_sessions')
      .selectAll()
      .where('user_id', '=', user.id)
      .where('finished_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => toBrowserSession(row, this.#dialect));
  }

  async recordActivity(session: BrowserSession, clock: Clock, ip: string | null): Promise<void> {
    await this.#db
      .updateTable('user_sessions')
      .set({ last_active_at: this.#dialect.toTimestamp(clock.now()), last_active_ip: ip })
      .where('id', '=', session.id)
      .execute();
  }

  async countActive(user?: User): Promise<number> {
    const row = await this.#db
      .selectFrom('user_sessions')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .where('finished_at', 'is', null)
      .$if(user !== undefined, (q) => q.where('user_id', '=', user!.id))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async deleteFinishedBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('user_sessions')
      .where('finished_at', '<', this.#dialect.toTimestamp(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
