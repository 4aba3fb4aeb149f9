// `BrowserSessionRepository` over Kysely (table `user_sessions`, as in MAS), with the session's
// authentications in `user_session_authentications`.

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import type {
  AuthenticationMethod,
  BrowserAuthentication,
} from '../../../model/browser-authentication.ts';
import type { BrowserSession } from '../../../model/browser-session.ts';
import {
  asBrowserAuthenticationId,
  asBrowserSessionId,
  asUserId,
  asUserPasswordId,
  type BrowserSessionId,
} from '../../../model/ids.ts';
import type { User } from '../../../model/user.ts';
import type { UserPassword } from '../../../model/user-password.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  BrowserSessionFilter,
  BrowserSessionRepository,
} from '../../browser-session-repository.ts';
import type { Page, Pagination } from '../../user-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UserSessionAuthenticationsTable, UserSessionsTable } from '../schema.ts';
import { pageById } from './id-pagination.ts';
import { whereSessionListFilter } from './session-list-filter.ts';

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

function toAuthentication(
  row: Selectable<UserSessionAuthenticationsTable>,
  dialect: SqlDialect,
): BrowserAuthentication {
  return {
    id: asBrowserAuthenticationId(row.id),
    browserSessionId: asBrowserSessionId(row.user_session_id),
    method: row.method as AuthenticationMethod,
    userPasswordId: row.user_password_id === null ? null : asUserPasswordId(row.user_password_id),
    createdAt: dialect.fromTimestamp(row.created_at),
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

  async authenticate(
    rng: Rng,
    clock: Clock,
    session: BrowserSession,
    method: AuthenticationMethod,
    userPassword: UserPassword | null,
  ): Promise<BrowserAuthentication> {
    const row = await this.#db
      .insertInto('user_session_authentications')
      .values({
        id: newUlid(clock, rng),
        user_session_id: session.id,
        method,
        user_password_id: userPassword?.id ?? null,
        created_at: this.#dialect.toTimestamp(clock.now()),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAuthentication(row, this.#dialect);
  }

  async lastAuthentication(session: BrowserSession): Promise<BrowserAuthentication | null> {
    const row = await this.#db
      .selectFrom('user_session_authentications')
      .selectAll()
      .where('user_session_id', '=', session.id)
      // Two in the same millisecond: the greater id wins, so the answer is the same every time
      // (ULIDs of one millisecond are not ordered by creation).
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : toAuthentication(row, this.#dialect);
  }

  async deleteFinishedBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('user_sessions')
      .where('finished_at', '<', this.#dialect.toTimestamp(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  list(
    filter: BrowserSessionFilter,
    pagination: Pagination<BrowserSessionId>,
  ): Promise<Page<BrowserSession>> {
    return pageById(
      pagination,
      () => this.#filtered(filter),
      (row: Parameters<typeof toBrowserSession>[0]) => toBrowserSession(row, this.#dialect),
    );
  }

  async count(filter: BrowserSessionFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  #filtered(filter: BrowserSessionFilter) {
    return whereSessionListFilter(this.#db.selectFrom('user_sessions'), filter, this.#dialect);
  }
}
