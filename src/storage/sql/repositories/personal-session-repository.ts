// `PersonalSessionRepository` over Kysely. Filters on the current token (MAS joins the unrevoked
// token) are EXISTS subqueries here, so the paginated query stays on `personal_sessions` alone;
// the page's current tokens are then read in one query. The scope filter matches whole tokens of
// the space-separated `scope_list` with an escaped LIKE (the same SQL on both dialects).

import {
  sql,
  type Expression,
  type Kysely,
  type Selectable,
  type SqlBool,
  type Transaction,
} from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asOAuth2ClientId, asUserId, type UserId } from '../../../model/ids.ts';
import {
  asPersonalAccessTokenId,
  asPersonalSessionId,
  type PersonalAccessToken,
  type PersonalSession,
  type PersonalSessionId,
} from '../../../model/personal-session.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  NewPersonalSession,
  PersonalSessionFilter,
  PersonalSessionRepository,
  PersonalSessionWithToken,
} from '../../personal-session-repository.ts';
import type { Page, Pagination } from '../../user-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { PersonalAccessTokensTable, PersonalSessionsTable, Schema } from '../schema.ts';
import { recordLatestActivity } from './batch-activity.ts';
import { pageById } from './id-pagination.ts';
import { wordPattern } from './like-pattern.ts';
import { chunked } from './oauth2-token-repository.ts';

type Db = Kysely<Schema> | Transaction<Schema>;

function toSession(row: Selectable<PersonalSessionsTable>, d: SqlDialect): PersonalSession {
  return {
    id: asPersonalSessionId(row.id),
    owner:
      row.owner_user_id !== null
        ? { userId: asUserId(row.owner_user_id) }
        : { clientId: asOAuth2ClientId(row.owner_oauth2_client_id ?? '') },
    actorUserId: asUserId(row.actor_user_id),
    humanName: row.human_name,
    scope: row.scope_list,
    createdAt: d.fromTimestamp(row.created_at),
    revokedAt: d.fromNullableTimestamp(row.revoked_at),
    lastActiveAt: d.fromNullableTimestamp(row.last_active_at),
    lastActiveIp: row.last_active_ip,
  };
}

function toToken(row: Selectable<PersonalAccessTokensTable>, d: SqlDialect): PersonalAccessToken {
  return {
    id: asPersonalAccessTokenId(row.id),
    sessionId: asPersonalSessionId(row.personal_session_id),
    tokenHash: row.access_token_sha256,
    createdAt: d.fromTimestamp(row.created_at),
    expiresAt: d.fromNullableTimestamp(row.expires_at),
    revokedAt: d.fromNullableTimestamp(row.revoked_at),
  };
}

/** Sorted, without duplicates: the stored form, so equal scopes compare equal. */
const storedScope = (scope: string): string =>
  [...new Set(scope.split(' ').filter((t) => t !== ''))].sort().join(' ');

/** A LIKE pattern matching `token` as a whole word of a space-padded list. */

export class SqlPersonalSessionRepository implements PersonalSessionRepository {
  readonly #db: Db;
  readonly #dialect: SqlDialect;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(rng: Rng, clock: Clock, session: NewPersonalSession): Promise<PersonalSession> {
    const row = await this.#db
      .insertInto('personal_sessions')
      .values({
        id: newUlid(clock, rng),
        owner_user_id: session.owner.userId ?? null,
        owner_oauth2_client_id: session.owner.clientId ?? null,
        actor_user_id: session.actorUserId,
        human_name: session.humanName,
        scope_list: storedScope(session.scope),
        created_at: this.#dialect.toTimestamp(clock.now()),
        revoked_at: null,
        last_active_at: null,
        last_active_ip: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSession(row, this.#dialect);
  }

  async lookup(id: PersonalSessionId): Promise<PersonalSession | null> {
    const row = await this.#db
      .selectFrom('personal_sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toSession(row, this.#dialect);
  }

  async revoke(clock: Clock, session: PersonalSession): Promise<PersonalSession> {
    const at = this.#dialect.toTimestamp(clock.now());
    const row = await this.#db
      .updateTable('personal_sessions')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)) }))
      .where('id', '=', session.id)
      .returningAll()
      .executeTakeFirst();
    // The caller loaded the session in this transaction; a missing row is a bug, not "not found".
    if (row === undefined) throw new Error(`personal session ${session.id} does not exist`);
    await this.#revokeTokensOf([session.id], at);
    return toSession(row, this.#dialect);
  }

  async revokeAllForUser(clock: Clock, userId: UserId): Promise<number> {
    const at = this.#dialect.toTimestamp(clock.now());
    const rows = await this.#db
      .updateTable('personal_sessions')
      .set({ revoked_at: at })
      .where((eb) => eb.or([eb('actor_user_id', '=', userId), eb('owner_user_id', '=', userId)]))
      .where('revoked_at', 'is', null)
      .returning('id')
      .execute();
    await this.#revokeTokensOf(
      rows.map((r) => r.id),
      at,
    );
    return rows.length;
  }

  async listActiveForActor(userId: UserId): Promise<PersonalSession[]> {
    const rows = await this.#db
      .selectFrom('personal_sessions')
      .selectAll()
      .where('actor_user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => toSession(row, this.#dialect));
  }

  async list(
    filter: PersonalSessionFilter,
    pagination: Pagination<PersonalSessionId>,
  ): Promise<Page<PersonalSessionWithToken>> {
    const page = await pageById(
      pagination,
      () => this.#filtered(filter),
      (row: Selectable<PersonalSessionsTable>) => toSession(row, this.#dialect),
    );
    const tokens = new Map<string, PersonalAccessToken>();
    for (const chunk of chunked(page.items.map((s) => s.id))) {
      const rows = await this.#db
        .selectFrom('personal_access_tokens')
        .selectAll()
        .where('personal_session_id', 'in', chunk)
        .where('revoked_at', 'is', null)
        .execute();
      for (const row of rows) tokens.set(row.personal_session_id, toToken(row, this.#dialect));
    }
    return {
      ...page,
      items: page.items.map((session) => ({ session, token: tokens.get(session.id) ?? null })),
    };
  }

  async count(filter: PersonalSessionFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  recordActivity(
    entries: readonly { id: PersonalSessionId; at: Date; ip: string | null }[],
  ): Promise<void> {
    return recordLatestActivity(this.#db, this.#dialect, 'personal_sessions', entries);
  }

  async issueToken(
    rng: Rng,
    clock: Clock,
    session: PersonalSession,
    tokenHash: string,
    expiresAt: Date | null,
  ): Promise<PersonalAccessToken> {
    const now = clock.now();
    await this.#revokeTokensOf([session.id], this.#dialect.toTimestamp(now));
    const row = await this.#db
      .insertInto('personal_access_tokens')
      .values({
        id: newUlid(clock, rng),
        personal_session_id: session.id,
        access_token_sha256: tokenHash,
        created_at: this.#dialect.toTimestamp(now),
        expires_at: expiresAt === null ? null : this.#dialect.toTimestamp(expiresAt),
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toToken(row, this.#dialect);
  }

  async findTokenByHash(tokenHash: string): Promise<PersonalAccessToken | null> {
    const row = await this.#db
      .selectFrom('personal_access_tokens')
      .selectAll()
      .where('access_token_sha256', '=', tokenHash)
      .executeTakeFirst();
    return row === undefined ? null : toToken(row, this.#dialect);
  }

  async currentToken(sessionId: PersonalSessionId): Promise<PersonalAccessToken | null> {
    const row = await this.#db
      .selectFrom('personal_access_tokens')
      .selectAll()
      .where('personal_session_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row === undefined ? null : toToken(row, this.#dialect);
  }

  async #revokeTokensOf(sessionIds: readonly string[], at: string | Date): Promise<void> {
    for (const chunk of chunked(sessionIds)) {
      await this.#db
        .updateTable('personal_access_tokens')
        .set({ revoked_at: at })
        .where('personal_session_id', 'in', chunk)
        .where('revoked_at', 'is', null)
        .execute();
    }
  }

  #filtered(filter: PersonalSessionFilter) {
    const d = this.#dialect;
    // The session's current token, with a condition on its expiry.
    const currentTokenWhere = (
      condition: (column: Expression<unknown>) => Expression<SqlBool>,
    ): Expression<SqlBool> =>
      sql<SqlBool>`exists (select 1 from personal_access_tokens t where t.personal_session_id = personal_sessions.id and t.revoked_at is null and ${condition(sql.ref('t.expires_at'))})`;
    return this.#db
      .selectFrom('personal_sessions')
      .$if(filter.ownerUserId !== undefined, (q) =>
        q.where('owner_user_id', '=', filter.ownerUserId!),
      )
      .$if(filter.ownerClientId !== undefined, (q) =>
        q.where('owner_oauth2_client_id', '=', filter.ownerClientId!),
      )
      .$if(filter.actorUserId !== undefined, (q) =>
        q.where('actor_user_id', '=', filter.actorUserId!),
      )
      .$if(filter.state === 'active', (q) => q.where('revoked_at', 'is', null))
      .$if(filter.state === 'revoked', (q) => q.where('revoked_at', 'is not', null))
      .$if((filter.scope ?? []).length > 0, (q) =>
        q.where((eb) =>
          eb.and(
            filter.scope!.map(
              (token) =>
                sql<SqlBool>`(' ' || scope_list || ' ') like ${wordPattern(token)} escape '\\'`,
            ),
          ),
        ),
      )
      .$if(filter.expiresBefore !== undefined, (q) =>
        q.where(
          currentTokenWhere((c) => sql<SqlBool>`${c} < ${d.toTimestamp(filter.expiresBefore!)}`),
        ),
      )
      .$if(filter.expiresAfter !== undefined, (q) =>
        q.where(
          currentTokenWhere((c) => sql<SqlBool>`${c} > ${d.toTimestamp(filter.expiresAfter!)}`),
        ),
      )
      .$if(filter.expires === true, (q) =>
        q.where(currentTokenWhere((c) => sql<SqlBool>`${c} is not null`)),
      )
      .$if(filter.expires === false, (q) =>
        q.where(sql<SqlBool>`not ${currentTokenWhere((c) => sql<SqlBool>`${c} is not null`)}`),
      );
  }
}
