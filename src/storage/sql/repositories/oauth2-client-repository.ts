// `OAuth2ClientRepository` over Kysely. List-valued and object-valued metadata (grant types,
// redirect URIs, localized names, the JWK Set, ...) are JSON columns. Deleting a client removes
// everything that belongs to it through the foreign keys' ON DELETE CASCADE (migration 0003).

import {
  sql,
  type Insertable,
  type Kysely,
  type Selectable,
  type SqlBool,
  type Transaction,
} from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asOAuth2ClientId, type OAuth2ClientId } from '../../../model/ids.ts';
import type {
  ApplicationType,
  ClientAuthMethod,
  GrantType,
  OAuth2Client,
} from '../../../model/oauth2-client.ts';
import type {
  OAuth2ClientFields,
  OAuth2ClientFilter,
  OAuth2ClientRepository,
} from '../../oauth2-client-repository.ts';
import type { Page, Pagination } from '../../user-repository.ts';
import { StateConflictError } from '../../state-conflict-error.ts';
import type { SqlDialect } from '../dialect.ts';
import { arg, PrecompiledQuery } from '../precompiled-query.ts';
import type { OAuth2ClientsTable, Schema } from '../schema.ts';
import { pageById } from './id-pagination.ts';
import { likeLiteral as literal } from './like-pattern.ts';

function toClient(row: Selectable<OAuth2ClientsTable>, d: SqlDialect): OAuth2Client {
  return {
    id: asOAuth2ClientId(row.id),
    isStatic: d.fromBoolean(row.is_static),
    encryptedClientSecret: row.encrypted_client_secret,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as ClientAuthMethod,
    tokenEndpointAuthSigningAlg: row.token_endpoint_auth_signing_alg,
    grantTypes: d.fromJson<GrantType[]>(row.grant_types),
    redirectUris: d.fromJson<string[]>(row.redirect_uris),
    postLogoutRedirectUris: d.fromJson<string[]>(row.post_logout_redirect_uris),
    applicationType: row.application_type as ApplicationType | null,
    clientName: row.client_name,
    clientNameLocalized: d.fromJson<Record<string, string>>(row.client_name_localized),
    clientUri: row.client_uri,
    logoUri: row.logo_uri,
    policyUri: row.policy_uri,
    tosUri: row.tos_uri,
    contacts: d.fromJson<string[]>(row.contacts),
    jwks: row.jwks === null ? null : d.fromJson<Record<string, unknown>>(row.jwks),
    jwksUri: row.jwks_uri,
    idTokenSignedResponseAlg: row.id_token_signed_response_alg,
    userinfoSignedResponseAlg: row.userinfo_signed_response_alg,
    initiateLoginUri: row.initiate_login_uri,
    metadataDigest: row.metadata_digest,
    createdAt: d.fromTimestamp(row.created_at),
  };
}

/** The columns a client's fields fill (everything but id, is_static and created_at). */
function fieldColumns(
  fields: OAuth2ClientFields,
  d: SqlDialect,
): Omit<Insertable<OAuth2ClientsTable>, 'id' | 'is_static' | 'created_at'> {
  return {
    encrypted_client_secret: fields.encryptedClientSecret,
    token_endpoint_auth_method: fields.tokenEndpointAuthMethod,
    token_endpoint_auth_signing_alg: fields.tokenEndpointAuthSigningAlg,
    grant_types: d.toJson(fields.grantTypes),
    redirect_uris: d.toJson(fields.redirectUris),
    post_logout_redirect_uris: d.toJson(fields.postLogoutRedirectUris),
    application_type: fields.applicationType,
    client_name: fields.clientName,
    client_name_localized: d.toJson(fields.clientNameLocalized),
    client_uri: fields.clientUri,
    logo_uri: fields.logoUri,
    policy_uri: fields.policyUri,
    tos_uri: fields.tosUri,
    contacts: d.toJson(fields.contacts),
    jwks: fields.jwks === null ? null : d.toJson(fields.jwks),
    jwks_uri: fields.jwksUri,
    id_token_signed_response_alg: fields.idTokenSignedResponseAlg,
    userinfo_signed_response_alg: fields.userinfoSignedResponseAlg,
    initiate_login_uri: fields.initiateLoginUri,
    metadata_digest: fields.metadataDigest,
  };
}

/**
 * What the precompiled lookup reads of a client: every column `toClient` reads. Listed, never
 * `*`: on PostgreSQL the lookup is a prepared statement (../postgres-prepared.ts).
 */
const CLIENT_COLUMNS = [
  'id',
  'is_static',
  'encrypted_client_secret',
  'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg',
  'grant_types',
  'redirect_uris',
  'post_logout_redirect_uris',
  'application_type',
  'client_name',
  'client_name_localized',
  'client_uri',
  'logo_uri',
  'policy_uri',
  'tos_uri',
  'contacts',
  'jwks',
  'jwks_uri',
  'id_token_signed_response_alg',
  'userinfo_signed_response_alg',
  'initiate_login_uri',
  'metadata_digest',
  'created_at',
] as const satisfies readonly (keyof Selectable<OAuth2ClientsTable>)[];

/** Every client-authenticated request looks its client up: precompiled (../precompiled-query.ts). */
const CLIENT_BY_ID = new PrecompiledQuery((db) =>
  db.selectFrom('oauth2_clients').select(CLIENT_COLUMNS).where('id', '=', arg<string>(0)),
);

export class SqlOAuth2ClientRepository implements OAuth2ClientRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookup(id: OAuth2ClientId): Promise<OAuth2Client | null> {
    const row = await CLIENT_BY_ID.first(this.#db, this.#dialect, [id]);
    return row === undefined ? null : toClient(row, this.#dialect);
  }

  async findByMetadataDigest(digest: string): Promise<OAuth2Client | null> {
    const row = await this.#db
      .selectFrom('oauth2_clients')
      .selectAll()
      .where('metadata_digest', '=', digest)
      .executeTakeFirst();
    return row === undefined ? null : toClient(row, this.#dialect);
  }

  async addDynamic(
    clock: Clock,
    id: OAuth2ClientId,
    fields: OAuth2ClientFields,
  ): Promise<OAuth2Client> {
    const d = this.#dialect;
    // An identical public registration committed meanwhile wins (DO NOTHING keeps a PostgreSQL
    // transaction usable); the caller gets that client, as it would have from the dedup lookup.
    const row = await this.#db
      .insertInto('oauth2_clients')
      .values({
        id,
        is_static: d.toBoolean(false),
        created_at: d.toTimestamp(clock.now()),
        ...fieldColumns(fields, d),
      })
      .onConflict((oc) => oc.column('metadata_digest').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toClient(row, d);
    const existing = await this.findByMetadataDigest(fields.metadataDigest!);
    if (existing === null)
      throw new Error(`client ${id} was neither added nor found by its digest`);
    return existing;
  }

  async upsertStatic(
    clock: Clock,
    id: OAuth2ClientId,
    fields: OAuth2ClientFields,
  ): Promise<OAuth2Client> {
    const d = this.#dialect;
    const columns = fieldColumns(fields, d);
    // One statement: insert, or replace every field of the static client with this id. The
    // condition leaves a dynamic client alone, and then nothing is returned.
    const row = await this.#db
      .insertInto('oauth2_clients')
      .values({
        id,
        is_static: d.toBoolean(true),
        created_at: d.toTimestamp(clock.now()),
        ...columns,
      })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet(columns)
          .where('oauth2_clients.is_static', '=', d.toBoolean(true)),
      )
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      throw new StateConflictError(
        'oauth2_client',
        id,
        'upsertStatic',
        'the id belongs to a dynamically registered client',
      );
    }
    return toClient(row, d);
  }

  async listStatic(): Promise<OAuth2Client[]> {
    const rows = await this.#db
      .selectFrom('oauth2_clients')
      .selectAll()
      .where('is_static', '=', this.#dialect.toBoolean(true))
      .orderBy('id')
      .execute();
    return rows.map((row) => toClient(row, this.#dialect));
  }

  async list(
    filter: OAuth2ClientFilter,
    pagination: Pagination<OAuth2ClientId>,
  ): Promise<Page<OAuth2Client>> {
    return pageById(
      pagination,
      () => this.#filtered(filter),
      (row: Selectable<OAuth2ClientsTable>) => toClient(row, this.#dialect),
    );
  }

  async count(filter: OAuth2ClientFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  #filtered(filter: OAuth2ClientFilter) {
    const d = this.#dialect;
    const contains = (column: 'client_name' | 'client_uri', text: string) =>
      sql<SqlBool>`lower(${sql.ref(column)}) like ${`%${literal(text.toLowerCase())}%`} escape '\\'`;
    // Grant types are a JSON array of strings, stored as text (SQLite) or jsonb (PostgreSQL);
    // both print it with each value in double quotes, which cannot occur inside a grant type.
    const grantType = (value: string) =>
      sql<SqlBool>`cast(grant_types as text) like ${`%${literal(JSON.stringify(value))}%`} escape '\\'`;
    return this.#db
      .selectFrom('oauth2_clients')
      .$if(filter.kind !== undefined, (q) =>
        q.where('is_static', '=', d.toBoolean(filter.kind === 'static')),
      )
      .$if(filter.nameContains !== undefined, (q) =>
        q.where(contains('client_name', filter.nameContains!)),
      )
      .$if(filter.uriContains !== undefined, (q) =>
        q.where(contains('client_uri', filter.uriContains!)),
      )
      .$if(filter.grantType !== undefined, (q) => q.where(grantType(filter.grantType!)))
      .$if(filter.hasActiveSessions !== undefined, (q) =>
        q.where((eb) => {
          const active = eb.exists(
            eb
              .selectFrom('oauth2_sessions')
              .select('oauth2_sessions.id')
              .whereRef('oauth2_sessions.oauth2_client_id', '=', 'oauth2_clients.id')
              .where('oauth2_sessions.finished_at', 'is', null),
          );
          return filter.hasActiveSessions === true ? active : eb.not(active);
        }),
      );
  }

  async delete(id: OAuth2ClientId): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('oauth2_clients')
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
