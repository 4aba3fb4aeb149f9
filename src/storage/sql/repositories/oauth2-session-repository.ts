// `OAuth2SessionRepository` over Kysely. Ending a session revokes its tokens in the same
// transaction (the statements are shared with the token repository). Activity from the
// introspection hot path arrives in batches: reduced to the newest entry per session, then one
// UPDATE per distinct (time, ip) over ids in chunks, each only moving `last_active_at` forward.
// The Matrix device a session's scope names is also kept in `device_id` (written once, at insert:
// the scope never changes), so the sessions holding a device are found by index.

import { sql, type Kysely, type Selectable, type SqlBool, type Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import {
  asBrowserSessionId,
  asOAuth2ClientId,
  asOAuth2SessionId,
  asUserId,
  type BrowserSessionId,
  type OAuth2SessionId,
  type UserId,
} from '../../../model/ids.ts';
import { deviceIdOfScope } from '../../../model/matrix-device-scope.ts';
import type { OAuth2Session } from '../../../model/oauth2-session.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  NewOAuth2Session,
  OAuth2SessionFilter,
  OAuth2SessionRepository,
} from '../../oauth2-session-repository.ts';
import type { Page, Pagination } from '../../user-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { OAuth2SessionsTable, Schema } from '../schema.ts';
import { recordLatestActivity } from './batch-activity.ts';
import { pageById } from './id-pagination.ts';
import { wordPattern } from './like-pattern.ts';
import { whereSessionListFilter } from './session-list-filter.ts';
import { revokeTokensOfSessions } from './oauth2-token-repository.ts';
import { arg, PrecompiledQuery } from '../precompiled-query.ts';
import type { TimestampValue } from '../dialect.ts';

type SessionRow = Selectable<OAuth2SessionsTable>;

// Every grant starts (client credentials, code, device) or looks up (refresh) a session: both
// statements are precompiled (../precompiled-query.ts). The insert gives every column, so the row
// it returns is the one built and nothing is read back. The lookup lists its columns, never `*`:
// on PostgreSQL it is a prepared statement (../postgres-prepared.ts).

/**
 * What the precompiled lookup reads of a session: every column `toSession` reads. Not `device_id`:
 * the model reads the device from the scope, and the refresh grant's statements stay as they were
 * (bench/postgres-raw-refresh.ts copies them).
 */
export const SESSION_COLUMNS = [
  'id',
  'oauth2_client_id',
  'user_id',
  'user_session_id',
  'scope',
  'created_at',
  'finished_at',
  'user_agent',
  'last_active_at',
  'last_active_ip',
  'human_name',
] as const satisfies readonly (keyof SessionRow)[];

export function toSession(
  row: Pick<SessionRow, (typeof SESSION_COLUMNS)[number]>,
  d: SqlDialect,
): OAuth2Session {
  return {
    id: asOAuth2SessionId(row.id),
    clientId: asOAuth2ClientId(row.oauth2_client_id),
    userId: row.user_id === null ? null : asUserId(row.user_id),
    browserSessionId: row.user_session_id === null ? null : asBrowserSessionId(row.user_session_id),
    scope: row.scope,
    createdAt: d.fromTimestamp(row.created_at),
    finishedAt: d.fromNullableTimestamp(row.finished_at),
    userAgent: row.user_agent,
    lastActiveAt: d.fromNullableTimestamp(row.last_active_at),
    lastActiveIp: row.last_active_ip,
    humanName: row.human_name,
  };
}

const INSERT_SESSION = new PrecompiledQuery((db) =>
  db.insertInto('oauth2_sessions').values({
    id: arg(0),
    oauth2_client_id: arg(1),
    user_id: arg<string | null>(2),
    user_session_id: arg<string | null>(3),
    scope: arg(4),
    created_at: arg<TimestampValue>(5),
    finished_at: null,
    user_agent: arg<string | null>(6),
    last_active_at: null,
    last_active_ip: null,
    human_name: arg<string | null>(7),
    device_id: arg<string | null>(8),
  }),
);
const SESSION_BY_ID = new PrecompiledQuery((db) =>
  db.selectFrom('oauth2_sessions').select(SESSION_COLUMNS).where('id', '=', arg<string>(0)),
);

export class SqlOAuth2SessionRepository implements OAuth2SessionRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(rng: Rng, clock: Clock, session: NewOAuth2Session): Promise<OAuth2Session> {
    const row: SessionRow = {
      id: newUlid(clock, rng),
      oauth2_client_id: session.clientId,
      user_id: session.userId,
      user_session_id: session.browserSessionId,
      scope: session.scope,
      created_at: this.#dialect.toTimestamp(clock.now()),
      finished_at: null,
      user_agent: session.userAgent,
      last_active_at: null,
      last_active_ip: null,
      human_name: session.humanName ?? null,
      device_id: deviceIdOfScope(session.scope),
    };
    await INSERT_SESSION.execute(this.#db, this.#dialect, [
      row.id,
      row.oauth2_client_id,
      row.user_id,
      row.user_session_id,
      row.scope,
      row.created_at,
      row.user_agent,
      row.human_name,
      row.device_id,
    ]);
    return toSession(row, this.#dialect);
  }

  async lookup(id: OAuth2SessionId): Promise<OAuth2Session | null> {
    const row = await SESSION_BY_ID.first(this.#db, this.#dialect, [id]);
    return row === undefined ? null : toSession(row, this.#dialect);
  }

  async setHumanName(session: OAuth2Session, humanName: string | null): Promise<OAuth2Session> {
    const row = await this.#db
      .updateTable('oauth2_sessions')
      .set({ human_name: humanName })
      .where('id', '=', session.id)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new Error(`OAuth 2.0 session ${session.id} does not exist`);
    return toSession(row, this.#dialect);
  }

  async finish(clock: Clock, session: OAuth2Session): Promise<OAuth2Session> {
    const now = clock.now();
    const at = this.#dialect.toTimestamp(now);
    const row = await this.#db
      .updateTable('oauth2_sessions')
      .set((eb) => ({ finished_at: eb.fn.coalesce('finished_at', eb.val(at)) }))
      .where('id', '=', session.id)
      .returningAll()
      .executeTakeFirst();
    // The caller loaded the session in this transaction; a missing row is a bug, not "not found".
    if (row === undefined) throw new Error(`OAuth 2.0 session ${session.id} does not exist`);
    // Also for a session finished before: a token issued meanwhile must not outlive it.
    await revokeTokensOfSessions(this.#db, this.#dialect, [session.id], now);
    return toSession(row, this.#dialect);
  }

  async finishAllForBrowserSession(
    clock: Clock,
    browserSessionId: BrowserSessionId,
  ): Promise<number> {
    const now = clock.now();
    const rows = await this.#db
      .updateTable('oauth2_sessions')
      .set({ finished_at: this.#dialect.toTimestamp(now) })
      .where('user_session_id', '=', browserSessionId)
      .where('finished_at', 'is', null)
      .returning('id')
      .execute();
    await revokeTokensOfSessions(
      this.#db,
      this.#dialect,
      rows.map((r) => r.id),
      now,
    );
    return rows.length;
  }

  async listActiveForUser(userId: UserId): Promise<OAuth2Session[]> {
    const rows = await this.#db
      .selectFrom('oauth2_sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('finished_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => toSession(row, this.#dialect));
  }

  async listActiveForDevice(userId: UserId, deviceId: string): Promise<OAuth2Session[]> {
    // An equality on the (user_id, device_id) index: exact and case-sensitive, and as cheap for a
    // user with thousands of sessions as for one with two.
    const rows = await this.#db
      .selectFrom('oauth2_sessions')
      .select(SESSION_COLUMNS)
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('finished_at', 'is', null)
      .execute();
    return rows.map((row) => toSession(row, this.#dialect));
  }

  recordActivity(
    entries: readonly { id: OAuth2SessionId; at: Date; ip: string | null }[],
  ): Promise<void> {
    return recordLatestActivity(this.#db, this.#dialect, 'oauth2_sessions', entries);
  }

  list(
    filter: OAuth2SessionFilter,
    pagination: Pagination<OAuth2SessionId>,
  ): Promise<Page<OAuth2Session>> {
    return pageById(
      pagination,
      () => this.#filtered(filter),
      (row: Parameters<typeof toSession>[0]) => toSession(row, this.#dialect),
    );
  }

  async count(filter: OAuth2SessionFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  #filtered(filter: OAuth2SessionFilter) {
    const d = this.#dialect;
    return whereSessionListFilter(this.#db.selectFrom('oauth2_sessions'), filter, d)
      .$if(filter.clientId !== undefined, (q) => q.where('oauth2_client_id', '=', filter.clientId!))
      .$if(filter.clientIds !== undefined, (q) =>
        q.where('oauth2_client_id', 'in', filter.clientIds!.length > 0 ? filter.clientIds! : ['']),
      )
      .$if(filter.clientKind !== undefined, (q) =>
        q.where((eb) =>
          eb.exists(
            eb
              .selectFrom('oauth2_clients')
              .select('oauth2_clients.id')
              .whereRef('oauth2_clients.id', '=', 'oauth2_sessions.oauth2_client_id')
              .where('oauth2_clients.is_static', '=', d.toBoolean(filter.clientKind === 'static')),
          ),
        ),
      )
      .$if(filter.browserSessionId !== undefined, (q) =>
        q.where('user_session_id', '=', filter.browserSessionId!),
      )
      .$if((filter.scopes ?? []).length > 0, (q) =>
        q.where((eb) =>
          eb.and(
            filter.scopes!.map(
              (token) =>
                sql<SqlBool>`(' ' || oauth2_sessions.scope || ' ') like ${wordPattern(token)} escape '\\'`,
            ),
          ),
        ),
      );
  }
}
