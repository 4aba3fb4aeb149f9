// `UpstreamOAuthSessionRepository` over Kysely. `complete` and `consume` check the session's state
// inside their UPDATE, so a replayed callback or two racing tabs get exactly one success.

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asBrowserSessionId, type BrowserSessionId } from '../../../model/ids.ts';
import {
  asUpstreamOAuthLinkId,
  asUpstreamOAuthProviderId,
  asUpstreamOAuthSessionId,
  type UpstreamOAuthProviderId,
  type UpstreamOAuthSession,
  type UpstreamOAuthSessionId,
} from '../../../model/upstream-oauth.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  NewUpstreamOAuthSession,
  UpstreamOAuthSessionCompletion,
  UpstreamOAuthSessionRepository,
} from '../../upstream-oauth-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UpstreamOAuthAuthorizationSessionsTable } from '../schema.ts';

type Row = Selectable<UpstreamOAuthAuthorizationSessionsTable>;
type JsonObject = Record<string, unknown>;

function toSession(row: Row, d: SqlDialect): UpstreamOAuthSession {
  const json = (value: Row['userinfo']): JsonObject | null =>
    value === null ? null : d.fromJson<JsonObject>(value);
  return {
    id: asUpstreamOAuthSessionId(row.id),
    providerId: asUpstreamOAuthProviderId(row.upstream_oauth_provider_id),
    state: row.state,
    codeVerifier: row.code_verifier,
    nonce: row.nonce,
    postAuthAction: row.post_auth_action,
    createdAt: d.fromTimestamp(row.created_at),
    completedAt: d.fromNullableTimestamp(row.completed_at),
    linkId:
      row.upstream_oauth_link_id === null
        ? null
        : asUpstreamOAuthLinkId(row.upstream_oauth_link_id),
    idToken: row.id_token,
    idTokenClaims: json(row.id_token_claims),
    userinfo: json(row.userinfo),
    extraCallbackParameters: json(row.extra_callback_parameters),
    idTokenSid: row.id_token_sid,
    consumedAt: d.fromNullableTimestamp(row.consumed_at),
    browserSessionId: row.user_session_id === null ? null : asBrowserSessionId(row.user_session_id),
    unlinkedAt: d.fromNullableTimestamp(row.unlinked_at),
  };
}

export class SqlUpstreamOAuthSessionRepository implements UpstreamOAuthSessionRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  lookup(id: UpstreamOAuthSessionId): Promise<UpstreamOAuthSession | null> {
    return this.#findBy('id', id);
  }

  findByState(state: string): Promise<UpstreamOAuthSession | null> {
    return this.#findBy('state', state);
  }

  async add(
    rng: Rng,
    clock: Clock,
    session: NewUpstreamOAuthSession,
  ): Promise<UpstreamOAuthSession> {
    const row = await this.#db
      .insertInto('upstream_oauth_authorization_sessions')
      .values({
        id: newUlid(clock, rng),
        upstream_oauth_provider_id: session.providerId,
        state: session.state,
        code_verifier: session.codeVerifier ?? null,
        nonce: session.nonce ?? null,
        post_auth_action: session.postAuthAction ?? null,
        created_at: this.#dialect.toTimestamp(clock.now()),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSession(row, this.#dialect);
  }

  async complete(
    clock: Clock,
    session: UpstreamOAuthSession,
    completion: UpstreamOAuthSessionCompletion,
  ): Promise<UpstreamOAuthSession | null> {
    const d = this.#dialect;
    const json = (value: JsonObject | null | undefined) =>
      value === null || value === undefined ? null : d.toJson(value);
    const row = await this.#db
      .updateTable('upstream_oauth_authorization_sessions')
      .set({
        completed_at: d.toTimestamp(clock.now()),
        upstream_oauth_link_id: completion.linkId,
        id_token: completion.idToken ?? null,
        id_token_claims: json(completion.idTokenClaims),
        userinfo: json(completion.userinfo),
        extra_callback_parameters: json(completion.extraCallbackParameters),
        id_token_sid: completion.idTokenSid ?? null,
      })
      .where('id', '=', session.id)
      .where('completed_at', 'is', null)
      .where('unlinked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toSession(row, d);
  }

  async consume(
    clock: Clock,
    session: UpstreamOAuthSession,
    browserSessionId: BrowserSessionId,
  ): Promise<UpstreamOAuthSession | null> {
    const row = await this.#db
      .updateTable('upstream_oauth_authorization_sessions')
      .set({
        consumed_at: this.#dialect.toTimestamp(clock.now()),
        user_session_id: browserSessionId,
      })
      .where('id', '=', session.id)
      .where('completed_at', 'is not', null)
      .where('consumed_at', 'is', null)
      .where('unlinked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toSession(row, this.#dialect);
  }

  async listConsumedForLogout(
    providerId: UpstreamOAuthProviderId,
    target: { readonly subject: string | null; readonly sid: string | null },
  ): Promise<UpstreamOAuthSession[]> {
    if (target.sid === null && target.subject === null) return [];
    const rows = await this.#db
      .selectFrom('upstream_oauth_authorization_sessions as s')
      .selectAll('s')
      .where('s.upstream_oauth_provider_id', '=', providerId)
      .where('s.consumed_at', 'is not', null)
      .$if(target.sid !== null, (q) => q.where('s.id_token_sid', '=', target.sid!))
      .$if(target.sid === null, (q) =>
        q
          .innerJoin('upstream_oauth_links as l', 'l.id', 's.upstream_oauth_link_id')
          .where('l.subject', '=', target.subject!),
      )
      .orderBy('s.id', 'desc')
      .execute();
    return rows.map((row) => toSession(row, this.#dialect));
  }

  async findByBrowserSession(
    browserSessionId: BrowserSessionId,
  ): Promise<UpstreamOAuthSession | null> {
    const row = await this.#db
      .selectFrom('upstream_oauth_authorization_sessions')
      .selectAll()
      .where('user_session_id', '=', browserSessionId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : toSession(row, this.#dialect);
  }

  async deleteAbandoned(cutoff: Date): Promise<number> {
    const d = this.#dialect;
    // Registrations and browser authentications pointing at them lose the reference (SET NULL).
    const result = await this.#db
      .deleteFrom('upstream_oauth_authorization_sessions')
      .where('created_at', '<', d.toTimestamp(cutoff))
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #findBy(column: 'id' | 'state', value: string): Promise<UpstreamOAuthSession | null> {
    const row = await this.#db
      .selectFrom('upstream_oauth_authorization_sessions')
      .selectAll()
      .where(column, '=', value)
      .executeTakeFirst();
    return row === undefined ? null : toSession(row, this.#dialect);
  }
}
