// The compatibility layer's repositories over Kysely (see storage/compat-repository.ts). Ending a
// session revokes its access and refresh tokens in the same transaction. Races are settled by the
// UPDATE itself (`WHERE <still in the expected state>`), so of two concurrent refreshes or
// exchanges only one succeeds.

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import {
  asCompatAccessTokenId,
  asCompatRefreshTokenId,
  asCompatSessionId,
  asCompatSsoLoginId,
  type CompatAccessToken,
  type CompatAccessTokenId,
  type CompatRefreshToken,
  type CompatSession,
  type CompatSessionId,
  type CompatSsoLogin,
  type CompatSsoLoginId,
} from '../../../model/compat-session.ts';
import {
  asBrowserSessionId,
  asUserId,
  type BrowserSessionId,
  type UserId,
} from '../../../model/ids.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  CompatAccessTokenRepository,
  CompatRefreshTokenRepository,
  CompatSessionFilter,
  CompatSessionRepository,
  CompatSsoLoginRepository,
  NewCompatSession,
} from '../../compat-repository.ts';
import { StateConflictError, type StateConflictSubject } from '../../state-conflict-error.ts';
import type { Page, Pagination } from '../../user-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type {
  CompatAccessTokensTable,
  CompatRefreshTokensTable,
  CompatSessionsTable,
  CompatSsoLoginsTable,
  Schema,
} from '../schema.ts';
import { recordLatestActivity } from './batch-activity.ts';
import { pageById } from './id-pagination.ts';
import { whereSessionListFilter } from './session-list-filter.ts';

type Db = Kysely<Schema> | Transaction<Schema>;

// The shared subject union does not name the compat aggregates yet; the message is what matters.
const SSO_LOGIN: StateConflictSubject = 'compat_sso_login';
const REFRESH_TOKEN: StateConflictSubject = 'compat_refresh_token';

function toSession(row: Selectable<CompatSessionsTable>, d: SqlDialect): CompatSession {
  return {
    id: asCompatSessionId(row.id),
    userId: asUserId(row.user_id),
    deviceId: row.device_id,
    browserSessionId: row.user_session_id === null ? null : asBrowserSessionId(row.user_session_id),
    isSynapseAdmin: d.fromBoolean(row.is_synapse_admin),
    humanName: row.human_name,
    userAgent: row.user_agent,
    lastActiveAt: d.fromNullableTimestamp(row.last_active_at),
    lastActiveIp: row.last_active_ip,
    createdAt: d.fromTimestamp(row.created_at),
    finishedAt: d.fromNullableTimestamp(row.finished_at),
  };
}

function toAccessToken(row: Selectable<CompatAccessTokensTable>, d: SqlDialect): CompatAccessToken {
  return {
    id: asCompatAccessTokenId(row.id),
    sessionId: asCompatSessionId(row.compat_session_id),
    tokenHash: row.token_hash,
    createdAt: d.fromTimestamp(row.created_at),
    expiresAt: d.fromNullableTimestamp(row.expires_at),
    revokedAt: d.fromNullableTimestamp(row.revoked_at),
  };
}

function toRefreshToken(
  row: Selectable<CompatRefreshTokensTable>,
  d: SqlDialect,
): CompatRefreshToken {
  return {
    id: asCompatRefreshTokenId(row.id),
    sessionId: asCompatSessionId(row.compat_session_id),
    tokenHash: row.token_hash,
    accessTokenId: row.access_token_id === null ? null : asCompatAccessTokenId(row.access_token_id),
    createdAt: d.fromTimestamp(row.created_at),
    consumedAt: d.fromNullableTimestamp(row.consumed_at),
    revokedAt: d.fromNullableTimestamp(row.revoked_at),
  };
}

function toSsoLogin(row: Selectable<CompatSsoLoginsTable>, d: SqlDialect): CompatSsoLogin {
  return {
    id: asCompatSsoLoginId(row.id),
    redirectUri: row.redirect_uri,
    loginTokenHash: row.login_token_hash,
    createdAt: d.fromTimestamp(row.created_at),
    fulfilledAt: d.fromNullableTimestamp(row.fulfilled_at),
    exchangedAt: d.fromNullableTimestamp(row.exchanged_at),
    browserSessionId: row.user_session_id === null ? null : asBrowserSessionId(row.user_session_id),
    compatSessionId:
      row.compat_session_id === null ? null : asCompatSessionId(row.compat_session_id),
  };
}

export class SqlCompatSessionRepository implements CompatSessionRepository {
  readonly #db: Db;
  readonly #dialect: SqlDialect;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(rng: Rng, clock: Clock, session: NewCompatSession): Promise<CompatSession> {
    const d = this.#dialect;
    const row = await this.#db
      .insertInto('compat_sessions')
      .values({
        id: newUlid(clock, rng),
        user_id: session.userId,
        device_id: session.deviceId,
        user_session_id: session.browserSessionId,
        is_synapse_admin: d.toBoolean(session.isSynapseAdmin),
        human_name: session.humanName,
        user_agent: session.userAgent,
        last_active_at: null,
        last_active_ip: null,
        created_at: d.toTimestamp(clock.now()),
        finished_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSession(row, d);
  }

  async lookup(id: CompatSessionId): Promise<CompatSession | null> {
    const row = await this.#db
      .selectFrom('compat_sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toSession(row, this.#dialect);
  }

  async listActiveForDevice(userId: UserId, deviceId: string): Promise<CompatSession[]> {
    const rows = await this.#db
      .selectFrom('compat_sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('device_id', '=', deviceId)
      .where('finished_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => toSession(row, this.#dialect));
  }

  async listActiveForUser(userId: UserId): Promise<CompatSession[]> {
    const rows = await this.#db
      .selectFrom('compat_sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('finished_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => toSession(row, this.#dialect));
  }

  async setHumanName(session: CompatSession, humanName: string | null): Promise<CompatSession> {
    const row = await this.#db
      .updateTable('compat_sessions')
      .set({ human_name: humanName })
      .where('id', '=', session.id)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new Error(`compat session ${session.id} does not exist`);
    return toSession(row, this.#dialect);
  }

  async finish(clock: Clock, session: CompatSession): Promise<CompatSession> {
    const at = this.#dialect.toTimestamp(clock.now());
    const row = await this.#db
      .updateTable('compat_sessions')
      .set((eb) => ({ finished_at: eb.fn.coalesce('finished_at', eb.val(at)) }))
      .where('id', '=', session.id)
      .returningAll()
      .executeTakeFirst();
    // The caller loaded the session in this transaction; a missing row is a bug, not "not found".
    if (row === undefined) throw new Error(`compat session ${session.id} does not exist`);
    await this.#db
      .updateTable('compat_access_tokens')
      .set({ revoked_at: at })
      .where('compat_session_id', '=', session.id)
      .where('revoked_at', 'is', null)
      .execute();
    await this.#db
      .updateTable('compat_refresh_tokens')
      .set({ revoked_at: at })
      .where('compat_session_id', '=', session.id)
      .where('revoked_at', 'is', null)
      .execute();
    return toSession(row, this.#dialect);
  }

  async recordActivity(id: CompatSessionId, at: Date, ip: string | null): Promise<void> {
    const when = this.#dialect.toTimestamp(at);
    await this.#db
      .updateTable('compat_sessions')
      .set((eb) => ({
        last_active_at: when,
        last_active_ip: ip === null ? eb.ref('last_active_ip') : eb.val(ip),
      }))
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_active_at', 'is', null), eb('last_active_at', '<', when)]))
      .execute();
  }

  recordActivities(
    entries: readonly { id: CompatSessionId; at: Date; ip: string | null }[],
  ): Promise<void> {
    return recordLatestActivity(this.#db, this.#dialect, 'compat_sessions', entries);
  }

  list(
    filter: CompatSessionFilter,
    pagination: Pagination<CompatSessionId>,
  ): Promise<Page<CompatSession>> {
    return pageById(
      pagination,
      () => this.#filtered(filter),
      (row: Parameters<typeof toSession>[0]) => toSession(row, this.#dialect),
    );
  }

  async count(filter: CompatSessionFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  #filtered(filter: CompatSessionFilter) {
    return whereSessionListFilter(
      this.#db.selectFrom('compat_sessions'),
      filter,
      this.#dialect,
    ).$if(filter.browserSessionId !== undefined, (q) =>
      q.where('user_session_id', '=', filter.browserSessionId!),
    );
  }
}

export class SqlCompatAccessTokenRepository implements CompatAccessTokenRepository {
  readonly #db: Db;
  readonly #dialect: SqlDialect;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(
    rng: Rng,
    clock: Clock,
    session: CompatSession,
    tokenHash: string,
    expiresAt: Date | null,
  ): Promise<CompatAccessToken> {
    const d = this.#dialect;
    const row = await this.#db
      .insertInto('compat_access_tokens')
      .values({
        id: newUlid(clock, rng),
        compat_session_id: session.id,
        token_hash: tokenHash,
        created_at: d.toTimestamp(clock.now()),
        expires_at: expiresAt === null ? null : d.toTimestamp(expiresAt),
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAccessToken(row, d);
  }

  async lookup(id: CompatAccessTokenId): Promise<CompatAccessToken | null> {
    const row = await this.#db
      .selectFrom('compat_access_tokens')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toAccessToken(row, this.#dialect);
  }

  async findByHash(tokenHash: string): Promise<CompatAccessToken | null> {
    const row = await this.#db
      .selectFrom('compat_access_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row === undefined ? null : toAccessToken(row, this.#dialect);
  }

  async revoke(clock: Clock, token: CompatAccessToken): Promise<CompatAccessToken> {
    const now = this.#dialect.toTimestamp(clock.now());
    const row = await this.#db
      .updateTable('compat_access_tokens')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(now)) }))
      .where('id', '=', token.id)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new Error(`compat access token ${token.id} does not exist`);
    return toAccessToken(row, this.#dialect);
  }
}

export class SqlCompatRefreshTokenRepository implements CompatRefreshTokenRepository {
  readonly #db: Db;
  readonly #dialect: SqlDialect;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(
    rng: Rng,
    clock: Clock,
    session: CompatSession,
    tokenHash: string,
    accessToken: CompatAccessToken,
  ): Promise<CompatRefreshToken> {
    const row = await this.#db
      .insertInto('compat_refresh_tokens')
      .values({
        id: newUlid(clock, rng),
        compat_session_id: session.id,
        token_hash: tokenHash,
        access_token_id: accessToken.id,
        created_at: this.#dialect.toTimestamp(clock.now()),
        consumed_at: null,
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRefreshToken(row, this.#dialect);
  }

  async findByHash(tokenHash: string): Promise<CompatRefreshToken | null> {
    const row = await this.#db
      .selectFrom('compat_refresh_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row === undefined ? null : toRefreshToken(row, this.#dialect);
  }

  async consume(clock: Clock, token: CompatRefreshToken): Promise<CompatRefreshToken> {
    const row = await this.#db
      .updateTable('compat_refresh_tokens')
      .set({ consumed_at: this.#dialect.toTimestamp(clock.now()) })
      .where('id', '=', token.id)
      .where('consumed_at', 'is', null)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      throw new StateConflictError(REFRESH_TOKEN, token.id, 'consume', 'it is consumed or revoked');
    }
    return toRefreshToken(row, this.#dialect);
  }
}

export class SqlCompatSsoLoginRepository implements CompatSsoLoginRepository {
  readonly #db: Db;
  readonly #dialect: SqlDialect;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(rng: Rng, clock: Clock, redirectUri: string): Promise<CompatSsoLogin> {
    const row = await this.#db
      .insertInto('compat_sso_logins')
      .values({
        id: newUlid(clock, rng),
        redirect_uri: redirectUri,
        login_token_hash: null,
        created_at: this.#dialect.toTimestamp(clock.now()),
        fulfilled_at: null,
        exchanged_at: null,
        user_session_id: null,
        compat_session_id: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSsoLogin(row, this.#dialect);
  }

  async lookup(id: CompatSsoLoginId): Promise<CompatSsoLogin | null> {
    const row = await this.#db
      .selectFrom('compat_sso_logins')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toSsoLogin(row, this.#dialect);
  }

  async findByTokenHash(loginTokenHash: string): Promise<CompatSsoLogin | null> {
    const row = await this.#db
      .selectFrom('compat_sso_logins')
      .selectAll()
      .where('login_token_hash', '=', loginTokenHash)
      .executeTakeFirst();
    return row === undefined ? null : toSsoLogin(row, this.#dialect);
  }

  async fulfill(
    clock: Clock,
    login: CompatSsoLogin,
    browserSessionId: BrowserSessionId,
    loginTokenHash: string,
  ): Promise<CompatSsoLogin> {
    const row = await this.#db
      .updateTable('compat_sso_logins')
      .set({
        fulfilled_at: this.#dialect.toTimestamp(clock.now()),
        user_session_id: browserSessionId,
        login_token_hash: loginTokenHash,
      })
      .where('id', '=', login.id)
      .where('fulfilled_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      throw new StateConflictError(SSO_LOGIN, login.id, 'fulfill', 'it is already completed');
    }
    return toSsoLogin(row, this.#dialect);
  }

  async exchange(
    clock: Clock,
    login: CompatSsoLogin,
    session: CompatSession,
  ): Promise<CompatSsoLogin> {
    const row = await this.#db
      .updateTable('compat_sso_logins')
      .set({ exchanged_at: this.#dialect.toTimestamp(clock.now()), compat_session_id: session.id })
      .where('id', '=', login.id)
      .where('fulfilled_at', 'is not', null)
      .where('exchanged_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      throw new StateConflictError(
        SSO_LOGIN,
        login.id,
        'exchange',
        'it is not completed or was already exchanged',
      );
    }
    return toSsoLogin(row, this.#dialect);
  }
}
