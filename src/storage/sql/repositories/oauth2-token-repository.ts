// `AccessTokenRepository` and `RefreshTokenRepository` over Kysely, plus the statements the
// session repository shares with them (revoking every token of sessions). Tokens are found by the
// hex SHA-256 of the token (unique index); the token itself is never stored.
//
// Batched writes (`markFirstUsed`) first reduce the batch to one entry per token, then issue one
// UPDATE per distinct time, over ids in chunks: a flush that stamps every entry with the same time
// is one statement per chunk, and any batch stays correct.
//
// The statements of every token request (add, find, consume, revoke) are precompiled
// (../precompiled-query.ts): building and compiling them per call cost more CPU than running
// them. Inserts return the row built here rather than reading it back: every column is given, so
// the row stored is exactly the one built. Their result columns are listed (`*_COLUMNS`), never
// `*`: on PostgreSQL they are prepared statements (../postgres-prepared.ts).

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import {
  asAccessTokenId,
  asOAuth2SessionId,
  asRefreshTokenId,
  type AccessTokenId,
  type OAuth2SessionId,
  type RefreshTokenId,
} from '../../../model/ids.ts';
import type { OAuth2Session } from '../../../model/oauth2-session.ts';
import type { AccessToken, RefreshToken } from '../../../model/oauth2-token.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  AccessTokenRepository,
  RefreshTokenRepository,
} from '../../oauth2-token-repository.ts';
import { StateConflictError } from '../../state-conflict-error.ts';
import type { SqlDialect, TimestampValue } from '../dialect.ts';
import { recordEarliestUse } from './batch-activity.ts';
import { arg, PrecompiledQuery } from '../precompiled-query.ts';
import type { OAuth2AccessTokensTable, OAuth2RefreshTokensTable, Schema } from '../schema.ts';

type Db = Kysely<Schema> | Transaction<Schema>;

/**
 * Ids per statement in batched writes: far below the bind-parameter limits of PostgreSQL (65535)
 * and SQLite (32766), and small enough to keep each statement's plan cheap.
 */
export const BATCH_CHUNK = 500;

export function chunked<T>(items: readonly T[], size = BATCH_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Revokes, at `now`, every unrevoked access and refresh token of the sessions. */
export async function revokeTokensOfSessions(
  db: Db,
  dialect: SqlDialect,
  sessionIds: readonly string[],
  now: Date,
): Promise<void> {
  const at = dialect.toTimestamp(now);
  for (const ids of chunked(sessionIds)) {
    await db
      .updateTable('oauth2_access_tokens')
      .set({ revoked_at: at })
      .where('oauth2_session_id', 'in', ids)
      .where('revoked_at', 'is', null)
      .execute();
    await db
      .updateTable('oauth2_refresh_tokens')
      .set({ revoked_at: at })
      .where('oauth2_session_id', 'in', ids)
      .where('revoked_at', 'is', null)
      .execute();
  }
}

export function toAccessToken(
  row: Selectable<OAuth2AccessTokensTable>,
  d: SqlDialect,
): AccessToken {
  return {
    id: asAccessTokenId(row.id),
    sessionId: asOAuth2SessionId(row.oauth2_session_id),
    tokenHash: row.token_hash,
    createdAt: d.fromTimestamp(row.created_at),
    expiresAt: d.fromNullableTimestamp(row.expires_at),
    revokedAt: d.fromNullableTimestamp(row.revoked_at),
    firstUsedAt: d.fromNullableTimestamp(row.first_used_at),
  };
}

function toRefreshToken(row: Selectable<OAuth2RefreshTokensTable>, d: SqlDialect): RefreshToken {
  return {
    id: asRefreshTokenId(row.id),
    sessionId: asOAuth2SessionId(row.oauth2_session_id),
    tokenHash: row.token_hash,
    accessTokenId:
      row.oauth2_access_token_id === null ? null : asAccessTokenId(row.oauth2_access_token_id),
    createdAt: d.fromTimestamp(row.created_at),
    consumedAt: d.fromNullableTimestamp(row.consumed_at),
    revokedAt: d.fromNullableTimestamp(row.revoked_at),
    nextRefreshTokenId:
      row.next_oauth2_refresh_token_id === null
        ? null
        : asRefreshTokenId(row.next_oauth2_refresh_token_id),
  };
}

type AccessTokenRow = Selectable<OAuth2AccessTokensTable>;
type RefreshTokenRow = Selectable<OAuth2RefreshTokensTable>;

/** What the precompiled statements read of an access token: every column `toAccessToken` reads. */
export const ACCESS_TOKEN_COLUMNS = [
  'id',
  'oauth2_session_id',
  'token_hash',
  'created_at',
  'expires_at',
  'revoked_at',
  'first_used_at',
] as const satisfies readonly (keyof AccessTokenRow)[];
/** What the precompiled statements read of a refresh token: every column `toRefreshToken` reads. */
const REFRESH_TOKEN_COLUMNS = [
  'id',
  'oauth2_session_id',
  'token_hash',
  'oauth2_access_token_id',
  'created_at',
  'consumed_at',
  'revoked_at',
  'next_oauth2_refresh_token_id',
] as const satisfies readonly (keyof RefreshTokenRow)[];

const INSERT_ACCESS_TOKEN = new PrecompiledQuery((db) =>
  db.insertInto('oauth2_access_tokens').values({
    id: arg(0),
    oauth2_session_id: arg(1),
    token_hash: arg(2),
    created_at: arg(3),
    expires_at: arg(4),
    revoked_at: null,
    first_used_at: null,
  }),
);
const ACCESS_TOKEN_BY_ID = new PrecompiledQuery((db) =>
  db
    .selectFrom('oauth2_access_tokens')
    .select(ACCESS_TOKEN_COLUMNS)
    .where('id', '=', arg<string>(0)),
);
const ACCESS_TOKEN_BY_HASH = new PrecompiledQuery((db) =>
  db
    .selectFrom('oauth2_access_tokens')
    .select(ACCESS_TOKEN_COLUMNS)
    .where('token_hash', '=', arg<string>(0)),
);
const REVOKE_ACCESS_TOKEN = new PrecompiledQuery((db) =>
  db
    .updateTable('oauth2_access_tokens')
    .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(arg<TimestampValue>(0))) }))
    .where('id', '=', arg<string>(1))
    .returning(ACCESS_TOKEN_COLUMNS),
);
/** `revokeUnrevoked`: the changed-row count says whether this call revoked it. */
const REVOKE_UNREVOKED_ACCESS_TOKEN = new PrecompiledQuery((db) =>
  db
    .updateTable('oauth2_access_tokens')
    .set({ revoked_at: arg<TimestampValue>(0) })
    .where('id', '=', arg<string>(1))
    .where('revoked_at', 'is', null),
);

const INSERT_REFRESH_TOKEN = new PrecompiledQuery((db) =>
  db.insertInto('oauth2_refresh_tokens').values({
    id: arg(0),
    oauth2_session_id: arg(1),
    token_hash: arg(2),
    oauth2_access_token_id: arg(3),
    created_at: arg(4),
    consumed_at: null,
    revoked_at: null,
    next_oauth2_refresh_token_id: null,
  }),
);
const REFRESH_TOKEN_BY_ID = new PrecompiledQuery((db) =>
  db
    .selectFrom('oauth2_refresh_tokens')
    .select(REFRESH_TOKEN_COLUMNS)
    .where('id', '=', arg<string>(0)),
);
const REFRESH_TOKEN_BY_HASH = new PrecompiledQuery((db) =>
  db
    .selectFrom('oauth2_refresh_tokens')
    .select(REFRESH_TOKEN_COLUMNS)
    .where('token_hash', '=', arg<string>(0)),
);
const REVOKE_REFRESH_TOKEN = new PrecompiledQuery((db) =>
  db
    .updateTable('oauth2_refresh_tokens')
    .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(arg<TimestampValue>(0))) }))
    .where('id', '=', arg<string>(1))
    .returning(REFRESH_TOKEN_COLUMNS),
);
/** `consume`, for a token without a successor yet (`is null` cannot be a bind parameter). */
const CONSUME_FIRST = new PrecompiledQuery((db) =>
  db
    .updateTable('oauth2_refresh_tokens')
    .set((eb) => ({
      consumed_at: eb.fn.coalesce('consumed_at', eb.val(arg<TimestampValue>(0))),
      next_oauth2_refresh_token_id: arg<string>(1),
    }))
    .where('id', '=', arg<string>(2))
    .where('revoked_at', 'is', null)
    .where('next_oauth2_refresh_token_id', 'is', null)
    .returning(REFRESH_TOKEN_COLUMNS),
);
/** `consume` again after a lost response: the successor the caller read must still be there. */
const CONSUME_AGAIN = new PrecompiledQuery((db) =>
  db
    .updateTable('oauth2_refresh_tokens')
    .set((eb) => ({
      consumed_at: eb.fn.coalesce('consumed_at', eb.val(arg<TimestampValue>(0))),
      next_oauth2_refresh_token_id: arg<string>(1),
    }))
    .where('id', '=', arg<string>(2))
    .where('revoked_at', 'is', null)
    .where('next_oauth2_refresh_token_id', '=', arg<string>(3))
    .returning(REFRESH_TOKEN_COLUMNS),
);

export class SqlAccessTokenRepository implements AccessTokenRepository {
  readonly #db: Db;
  readonly #dialect: SqlDialect;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(
    rng: Rng,
    clock: Clock,
    session: OAuth2Session,
    tokenHash: string,
    expiresAt: Date | null,
  ): Promise<AccessToken> {
    const d = this.#dialect;
    const row: AccessTokenRow = {
      id: newUlid(clock, rng),
      oauth2_session_id: session.id,
      token_hash: tokenHash,
      created_at: d.toTimestamp(clock.now()),
      expires_at: expiresAt === null ? null : d.toTimestamp(expiresAt),
      revoked_at: null,
      first_used_at: null,
    };
    await INSERT_ACCESS_TOKEN.execute(this.#db, d, [
      row.id,
      row.oauth2_session_id,
      row.token_hash,
      row.created_at,
      row.expires_at,
    ]);
    return toAccessToken(row, d);
  }

  async lookup(id: AccessTokenId): Promise<AccessToken | null> {
    const row = await ACCESS_TOKEN_BY_ID.first(this.#db, this.#dialect, [id]);
    return row === undefined ? null : toAccessToken(row, this.#dialect);
  }

  async findByHash(tokenHash: string): Promise<AccessToken | null> {
    const row = await ACCESS_TOKEN_BY_HASH.first(this.#db, this.#dialect, [tokenHash]);
    return row === undefined ? null : toAccessToken(row, this.#dialect);
  }

  async revoke(clock: Clock, token: AccessToken): Promise<AccessToken> {
    const now = this.#dialect.toTimestamp(clock.now());
    const row = await REVOKE_ACCESS_TOKEN.first(this.#db, this.#dialect, [now, token.id]);
    // The caller loaded the token in this transaction; a missing row is a bug, not "not found".
    if (row === undefined) throw new Error(`access token ${token.id} does not exist`);
    return toAccessToken(row, this.#dialect);
  }

  async revokeUnrevoked(clock: Clock, id: AccessTokenId): Promise<boolean> {
    const now = this.#dialect.toTimestamp(clock.now());
    const result = await REVOKE_UNREVOKED_ACCESS_TOKEN.execute(this.#db, this.#dialect, [now, id]);
    return (result.numAffectedRows ?? 0n) > 0n;
  }

  markFirstUsed(entries: readonly { id: AccessTokenId; at: Date }[]): Promise<void> {
    return recordEarliestUse(this.#db, this.#dialect, entries);
  }

  async deleteRevokedOrExpiredBefore(before: Date): Promise<number> {
    const cutoff = this.#dialect.toTimestamp(before);
    const result = await this.#db
      .deleteFrom('oauth2_access_tokens')
      .where((eb) => eb.or([eb('revoked_at', '<', cutoff), eb('expires_at', '<', cutoff)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

export class SqlRefreshTokenRepository implements RefreshTokenRepository {
  readonly #db: Db;
  readonly #dialect: SqlDialect;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(
    rng: Rng,
    clock: Clock,
    session: OAuth2Session,
    tokenHash: string,
    accessToken: AccessToken | null,
  ): Promise<RefreshToken> {
    const d = this.#dialect;
    const row: RefreshTokenRow = {
      id: newUlid(clock, rng),
      oauth2_session_id: session.id,
      token_hash: tokenHash,
      oauth2_access_token_id: accessToken?.id ?? null,
      created_at: d.toTimestamp(clock.now()),
      consumed_at: null,
      revoked_at: null,
      next_oauth2_refresh_token_id: null,
    };
    await INSERT_REFRESH_TOKEN.execute(this.#db, d, [
      row.id,
      row.oauth2_session_id,
      row.token_hash,
      row.oauth2_access_token_id,
      row.created_at,
    ]);
    return toRefreshToken(row, d);
  }

  async lookup(id: RefreshTokenId): Promise<RefreshToken | null> {
    const row = await REFRESH_TOKEN_BY_ID.first(this.#db, this.#dialect, [id]);
    return row === undefined ? null : toRefreshToken(row, this.#dialect);
  }

  async findByHash(tokenHash: string): Promise<RefreshToken | null> {
    const row = await REFRESH_TOKEN_BY_HASH.first(this.#db, this.#dialect, [tokenHash]);
    return row === undefined ? null : toRefreshToken(row, this.#dialect);
  }

  async consume(clock: Clock, token: RefreshToken, next: RefreshToken): Promise<RefreshToken> {
    const now = this.#dialect.toTimestamp(clock.now());
    const seenNext = token.nextRefreshTokenId;
    // Compare-and-set on the successor the caller read: of two concurrent refreshes with the same
    // token, the second finds it changed (PostgreSQL re-checks the row after the first commits).
    const row =
      seenNext === null
        ? await CONSUME_FIRST.first(this.#db, this.#dialect, [now, next.id, token.id])
        : await CONSUME_AGAIN.first(this.#db, this.#dialect, [now, next.id, token.id, seenNext]);
    if (row !== undefined) return toRefreshToken(row, this.#dialect);
    const current = await this.lookup(token.id);
    const reason =
      current === null
        ? 'it does not exist'
        : current.revokedAt !== null
          ? 'it is revoked'
          : 'it was consumed concurrently';
    throw new StateConflictError('refresh_token', token.id, 'consume', reason);
  }

  async revoke(clock: Clock, token: RefreshToken): Promise<RefreshToken> {
    const now = this.#dialect.toTimestamp(clock.now());
    const row = await REVOKE_REFRESH_TOKEN.first(this.#db, this.#dialect, [now, token.id]);
    // The caller loaded the token in this transaction; a missing row is a bug, not "not found".
    if (row === undefined) throw new Error(`refresh token ${token.id} does not exist`);
    return toRefreshToken(row, this.#dialect);
  }

  async listForSession(sessionId: OAuth2SessionId): Promise<RefreshToken[]> {
    const rows = await this.#db
      .selectFrom('oauth2_refresh_tokens')
      .selectAll()
      .where('oauth2_session_id', '=', sessionId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => toRefreshToken(row, this.#dialect));
  }

  async deleteRevokedOrConsumedBefore(before: Date): Promise<number> {
    const cutoff = this.#dialect.toTimestamp(before);
    const result = await this.#db
      .deleteFrom('oauth2_refresh_tokens')
      .where((eb) => eb.or([eb('revoked_at', '<', cutoff), eb('consumed_at', '<', cutoff)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
