// `AccessTokenOwnerRepository` on SQL: the token joined to its session and (left) to the session's
// user, by the token hash's unique index and two primary keys. The columns are those the three
// separate lookups read, each prefixed with its table's letter so that equal names (`id`,
// `created_at`) stay apart; the rows are handed to the same mappers as those lookups'.

import type { Kysely, Transaction } from 'kysely';
import type {
  AccessTokenOwnerRepository,
  AccessTokenWithOwner,
} from '../../access-token-owner-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import { arg, PrecompiledQuery } from '../precompiled-query.ts';
import type { Schema } from '../schema.ts';
import { SESSION_COLUMNS, toSession } from './oauth2-session-repository.ts';
import { ACCESS_TOKEN_COLUMNS, toAccessToken } from './oauth2-token-repository.ts';
import { toUser, USER_COLUMNS } from './user-repository.ts';

type Row = Record<string, unknown>;

/** `table.column as p_column` for each column: what the join selects of one table. */
const prefixed = (table: string, prefix: string, columns: readonly string[]): string[] =>
  columns.map((column) => `${table}.${column} as ${prefix}_${column}`);

/** The columns of one table out of a joined row, under their own names again. */
function unprefixed<T>(row: Row, prefix: string, columns: readonly string[]): T {
  const out: Row = {};
  for (const column of columns) out[column] = row[`${prefix}_${column}`];
  return out as T;
}

const ACCESS_TOKEN_WITH_OWNER_BY_HASH = new PrecompiledQuery<Row>((db) =>
  db
    .selectFrom('oauth2_access_tokens as t')
    .innerJoin('oauth2_sessions as s', 's.id', 't.oauth2_session_id')
    .leftJoin('users as u', 'u.id', 's.user_id')
    // Built aliases, which Kysely's types cannot follow: the row is read by name below.
    .select([
      ...prefixed('t', 't', ACCESS_TOKEN_COLUMNS),
      ...prefixed('s', 's', SESSION_COLUMNS),
      ...prefixed('u', 'u', USER_COLUMNS),
    ] as never)
    .where('t.token_hash', '=', arg<string>(0)),
);

export class SqlAccessTokenOwnerRepository implements AccessTokenOwnerRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async findByHash(tokenHash: string): Promise<AccessTokenWithOwner | null> {
    const row = await ACCESS_TOKEN_WITH_OWNER_BY_HASH.first(this.#db, this.#dialect, [tokenHash]);
    if (row === undefined) return null;
    return {
      token: toAccessToken(unprefixed(row, 't', ACCESS_TOKEN_COLUMNS), this.#dialect),
      session: toSession(unprefixed(row, 's', SESSION_COLUMNS), this.#dialect),
      user:
        row.u_id === null || row.u_id === undefined
          ? null
          : toUser(unprefixed(row, 'u', USER_COLUMNS), this.#dialect),
    };
  }
}
