// `UserRepository` over Kysely. Lists are ordered by id (ULIDs: creation order) and paginated with
// id cursors; see `Pagination` in ../../user-repository.ts for what the page flags mean. (When a
// second repository paginates, move `list`'s cursor logic into a shared helper beside this file.)

import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  type Transaction,
  type UpdateObject,
} from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asUserId, type UserId } from '../../../model/ids.ts';
import type { User } from '../../../model/user.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { Page, Pagination, UserFilter, UserRepository } from '../../user-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import { likeLiteral } from './like-pattern.ts';
import type { Schema, UsersTable } from '../schema.ts';
import { arg, PrecompiledQuery } from '../precompiled-query.ts';

type UserRow = Selectable<UsersTable>;

export function toUser(
  row: Pick<UserRow, (typeof USER_COLUMNS)[number]>,
  dialect: SqlDialect,
): User {
  return {
    id: asUserId(row.id),
    username: row.username,
    createdAt: dialect.fromTimestamp(row.created_at),
    lockedAt: dialect.fromNullableTimestamp(row.locked_at),
    deactivatedAt: dialect.fromNullableTimestamp(row.deactivated_at),
    canRequestAdmin: dialect.fromBoolean(row.can_request_admin),
  };
}

/**
 * What the precompiled lookup reads of a user: every column `toUser` reads. Listed, never `*`: on
 * PostgreSQL the lookup is a prepared statement (../postgres-prepared.ts).
 */
export const USER_COLUMNS = [
  'id',
  'username',
  'created_at',
  'locked_at',
  'deactivated_at',
  'can_request_admin',
] as const satisfies readonly (keyof UserRow)[];

/** Every grant for a user and every uncached introspection reads the user: precompiled. */
const USER_BY_ID = new PrecompiledQuery((db) =>
  db.selectFrom('users').select(USER_COLUMNS).where('id', '=', arg<string>(0)),
);

export class SqlUserRepository implements UserRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookup(id: UserId): Promise<User | null> {
    const row = await USER_BY_ID.first(this.#db, this.#dialect, [id]);
    return row === undefined ? null : toUser(row, this.#dialect);
  }

  async findByUsername(username: string): Promise<User | null> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row === undefined ? null : toUser(row, this.#dialect);
  }

  async exists(username: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('users')
      .select('id')
      .where('username', '=', username)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async add(rng: Rng, clock: Clock, username: string): Promise<User | null> {
    // ON CONFLICT DO NOTHING instead of catching the violation: on PostgreSQL a failed statement
    // aborts the whole transaction, and the caller must be able to go on after "taken".
    const row = await this.#db
      .insertInto('users')
      .values({
        id: newUlid(clock, rng),
        username,
        created_at: this.#dialect.toTimestamp(clock.now()),
        locked_at: null,
        deactivated_at: null,
        can_request_admin: this.#dialect.toBoolean(false),
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toUser(row, this.#dialect);
  }

  lock(clock: Clock, user: User): Promise<User> {
    const now = this.#dialect.toTimestamp(clock.now());
    return this.#update(user, (eb) => ({ locked_at: eb.fn.coalesce('locked_at', eb.val(now)) }));
  }

  unlock(user: User): Promise<User> {
    return this.#update(user, () => ({ locked_at: null }));
  }

  deactivate(clock: Clock, user: User): Promise<User> {
    const now = this.#dialect.toTimestamp(clock.now());
    return this.#update(user, (eb) => ({
      deactivated_at: eb.fn.coalesce('deactivated_at', eb.val(now)),
    }));
  }

  reactivate(user: User): Promise<User> {
    return this.#update(user, () => ({ deactivated_at: null }));
  }

  setCanRequestAdmin(user: User, canRequestAdmin: boolean): Promise<User> {
    const value = this.#dialect.toBoolean(canRequestAdmin);
    return this.#update(user, () => ({ can_request_admin: value }));
  }

  async list(filter: UserFilter, pagination: Pagination<UserId>): Promise<Page<User>> {
    const forward = pagination.first !== undefined;
    const size = forward ? pagination.first : pagination.last;
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`page size must be a positive integer, got ${size}`);
    const { after, before } = pagination;
    // One row more than asked says whether the page is followed (forward) or preceded (backward).
    const rows = await this.#db
      .selectFrom('users')
      .selectAll()
      .where((eb) => this.#matches(eb, filter))
      .$if(after !== undefined, (q) => q.where('id', '>', after!))
      .$if(before !== undefined, (q) => q.where('id', '<', before!))
      .orderBy('id', forward ? 'asc' : 'desc')
      .limit(size + 1)
      .execute();
    const more = rows.length > size;
    const pageRows = rows.slice(0, size);
    if (!forward) pageRows.reverse();
    // Beyond a cursor there may be more rows the window excluded: look past it.
    const beyondAfter = after !== undefined && (await this.#anyWhere(filter, '<=', after));
    const beyondBefore = before !== undefined && (await this.#anyWhere(filter, '>=', before));
    return {
      items: pageRows.map((row) => toUser(row, this.#dialect)),
      hasNextPage: (forward && more) || beyondBefore,
      hasPreviousPage: (!forward && more) || beyondAfter,
    };
  }

  async count(filter: UserFilter): Promise<number> {
    const row = await this.#db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .where((eb) => this.#matches(eb, filter))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  #matches(eb: ExpressionBuilder<Schema, 'users'>, filter: UserFilter): Expression<SqlBool> {
    const conditions: Expression<SqlBool>[] = [];
    switch (filter.state) {
      case undefined:
        break;
      case 'active':
        conditions.push(eb('locked_at', 'is', null), eb('deactivated_at', 'is', null));
        break;
      case 'locked':
        conditions.push(eb('locked_at', 'is not', null));
        break;
      case 'deactivated':
        conditions.push(eb('deactivated_at', 'is not', null));
        break;
    }
    if (filter.canRequestAdmin !== undefined) {
      conditions.push(
        eb('can_request_admin', '=', this.#dialect.toBoolean(filter.canRequestAdmin)),
      );
    }
    if (filter.search !== undefined) {
      const pattern = `%${likeLiteral(filter.search.toLowerCase())}%`;
      conditions.push(sql<SqlBool>`lower(users.username) like ${pattern} escape '\\'`);
    }
    // No guest accounts here: only "not a guest" matches anyone.
    if (filter.legacyGuest === true) conditions.push(sql<SqlBool>`1 = 0`);
    const activeOAuth2 = (clients?: readonly string[]) =>
      eb.exists(
        eb
          .selectFrom('oauth2_sessions')
          .select('oauth2_sessions.id')
          .whereRef('oauth2_sessions.user_id', '=', 'users.id')
          .where('oauth2_sessions.finished_at', 'is', null)
          .$if(clients !== undefined, (q) =>
            q.where('oauth2_sessions.oauth2_client_id', 'in', clients!),
          ),
      );
    if (filter.activeOAuth2ClientIds !== undefined) {
      const clients = filter.activeOAuth2ClientIds;
      conditions.push(clients.length === 0 ? sql<SqlBool>`1 = 0` : activeOAuth2(clients));
    }
    if (filter.hasActiveOAuth2Session !== undefined) {
      conditions.push(filter.hasActiveOAuth2Session ? activeOAuth2() : eb.not(activeOAuth2()));
    }
    if (filter.hasActiveCompatSession !== undefined) {
      const active = eb.exists(
        eb
          .selectFrom('compat_sessions')
          .select('compat_sessions.id')
          .whereRef('compat_sessions.user_id', '=', 'users.id')
          .where('compat_sessions.finished_at', 'is', null),
      );
      conditions.push(filter.hasActiveCompatSession ? active : eb.not(active));
    }
    return eb.and(conditions);
  }

  async #anyWhere(filter: UserFilter, op: '<=' | '>=', cursor: UserId): Promise<boolean> {
    const row = await this.#db
      .selectFrom('users')
      .select('id')
      .where((eb) => this.#matches(eb, filter))
      .where('id', op, cursor)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async #update(
    user: User,
    changes: (eb: ExpressionBuilder<Schema, 'users'>) => UpdateObject<Schema, 'users'>,
  ): Promise<User> {
    const row = await this.#db
      .updateTable('users')
      .set(changes)
      .where('id', '=', user.id)
      .returningAll()
      .executeTakeFirst();
    // Callers hold a user they loaded in this transaction; a missing row is a bug, not "not found".
    if (row === undefined) throw new Error(`user ${user.id} does not exist`);
    return toUser(row, this.#dialect);
  }
}
