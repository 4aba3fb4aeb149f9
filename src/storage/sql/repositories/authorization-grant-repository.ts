// `AuthorizationGrantRepository` over Kysely. Each stage change is one conditional UPDATE whose
// WHERE clause is the stage it starts from; when no row matches, the grant was not in that stage
// (or a concurrent request moved it first) and `StateConflictError` is thrown.

import type {
  ExpressionBuilder,
  Kysely,
  Selectable,
  SqlBool,
  Transaction,
  Expression,
  UpdateObject,
} from 'kysely';
import type { Clock } from '../../../clock.ts';
import {
  grantStage,
  type AuthorizationGrant,
  type ResponseMode,
} from '../../../model/authorization-grant.ts';
import {
  asAuthorizationGrantId,
  asBrowserSessionId,
  asOAuth2ClientId,
  asOAuth2SessionId,
  type AuthorizationGrantId,
  type BrowserSessionId,
  type OAuth2SessionId,
} from '../../../model/ids.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  AuthorizationGrantRepository,
  NewAuthorizationGrant,
} from '../../authorization-grant-repository.ts';
import { StateConflictError } from '../../state-conflict-error.ts';
import type { SqlDialect } from '../dialect.ts';
import type { OAuth2AuthorizationGrantsTable, Schema } from '../schema.ts';

type Table = 'oauth2_authorization_grants';

function toGrant(
  row: Selectable<OAuth2AuthorizationGrantsTable>,
  d: SqlDialect,
): AuthorizationGrant {
  return {
    id: asAuthorizationGrantId(row.id),
    clientId: asOAuth2ClientId(row.oauth2_client_id),
    redirectUri: row.redirect_uri,
    scope: row.scope,
    state: row.state,
    nonce: row.nonce,
    responseMode: row.response_mode as ResponseMode,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method as AuthorizationGrant['codeChallengeMethod'],
    prompt: row.prompt,
    maxAge: row.max_age,
    loginHint: row.login_hint,
    uiLocales: row.ui_locales,
    createdAt: d.fromTimestamp(row.created_at),
    fulfilledAt: d.fromNullableTimestamp(row.fulfilled_at),
    browserSessionId: row.user_session_id === null ? null : asBrowserSessionId(row.user_session_id),
    codeHash: row.code_hash,
    exchangedAt: d.fromNullableTimestamp(row.exchanged_at),
    oauth2SessionId:
      row.oauth2_session_id === null ? null : asOAuth2SessionId(row.oauth2_session_id),
    cancelledAt: d.fromNullableTimestamp(row.cancelled_at),
  };
}

/** Not fulfilled, exchanged or cancelled. */
function isPending(eb: ExpressionBuilder<Schema, Table>): Expression<SqlBool> {
  return eb.and([
    eb('fulfilled_at', 'is', null),
    eb('exchanged_at', 'is', null),
    eb('cancelled_at', 'is', null),
  ]);
}

function isFulfilled(eb: ExpressionBuilder<Schema, Table>): Expression<SqlBool> {
  return eb.and([
    eb('fulfilled_at', 'is not', null),
    eb('exchanged_at', 'is', null),
    eb('cancelled_at', 'is', null),
  ]);
}

export class SqlAuthorizationGrantRepository implements AuthorizationGrantRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(rng: Rng, clock: Clock, grant: NewAuthorizationGrant): Promise<AuthorizationGrant> {
    const row = await this.#db
      .insertInto('oauth2_authorization_grants')
      .values({
        id: newUlid(clock, rng),
        oauth2_client_id: grant.clientId,
        redirect_uri: grant.redirectUri,
        scope: grant.scope,
        state: grant.state,
        nonce: grant.nonce,
        response_mode: grant.responseMode,
        code_challenge: grant.codeChallenge,
        code_challenge_method: grant.codeChallengeMethod,
        prompt: grant.prompt,
        max_age: grant.maxAge,
        login_hint: grant.loginHint,
        ui_locales: grant.uiLocales,
        created_at: this.#dialect.toTimestamp(clock.now()),
        fulfilled_at: null,
        user_session_id: null,
        code_hash: null,
        exchanged_at: null,
        oauth2_session_id: null,
        cancelled_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toGrant(row, this.#dialect);
  }

  async lookup(id: AuthorizationGrantId): Promise<AuthorizationGrant | null> {
    const row = await this.#db
      .selectFrom('oauth2_authorization_grants')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toGrant(row, this.#dialect);
  }

  async findByCodeHash(codeHash: string): Promise<AuthorizationGrant | null> {
    const row = await this.#db
      .selectFrom('oauth2_authorization_grants')
      .selectAll()
      .where('code_hash', '=', codeHash)
      .executeTakeFirst();
    return row === undefined ? null : toGrant(row, this.#dialect);
  }

  fulfill(
    clock: Clock,
    grant: AuthorizationGrant,
    browserSessionId: BrowserSessionId,
    codeHash: string,
  ): Promise<AuthorizationGrant> {
    const now = this.#dialect.toTimestamp(clock.now());
    return this.#transition(grant, 'fulfill', isPending, {
      fulfilled_at: now,
      user_session_id: browserSessionId,
      code_hash: codeHash,
    });
  }

  exchange(
    clock: Clock,
    grant: AuthorizationGrant,
    oauth2SessionId: OAuth2SessionId,
  ): Promise<AuthorizationGrant> {
    const now = this.#dialect.toTimestamp(clock.now());
    return this.#transition(grant, 'exchange', isFulfilled, {
      exchanged_at: now,
      oauth2_session_id: oauth2SessionId,
    });
  }

  cancel(clock: Clock, grant: AuthorizationGrant): Promise<AuthorizationGrant> {
    const now = this.#dialect.toTimestamp(clock.now());
    return this.#transition(grant, 'cancel', (eb) => eb.or([isPending(eb), isFulfilled(eb)]), {
      cancelled_at: now,
    });
  }

  async deleteCreatedBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('oauth2_authorization_grants')
      .where('created_at', '<', this.#dialect.toTimestamp(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #transition(
    grant: AuthorizationGrant,
    action: string,
    from: (eb: ExpressionBuilder<Schema, Table>) => Expression<SqlBool>,
    changes: UpdateObject<Schema, Table>,
  ): Promise<AuthorizationGrant> {
    const row = await this.#db
      .updateTable('oauth2_authorization_grants')
      .set(changes)
      .where('id', '=', grant.id)
      .where(from)
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toGrant(row, this.#dialect);
    const current = await this.lookup(grant.id);
    const reason = current === null ? 'it does not exist' : `it is ${grantStage(current)}`;
    throw new StateConflictError('authorization_grant', grant.id, action, reason);
  }
}
