// `UpstreamOAuthProviderRepository` over Kysely. Structured settings are JSON columns; deleting a
// provider removes its links and authorization sessions through ON DELETE CASCADE (0009).

import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import {
  asUpstreamOAuthProviderId,
  type AdminClaim,
  type ClaimRequirement,
  type SignInWithApple,
  type UpstreamBackchannelLogoutAction,
  type UpstreamClaimsImports,
  type UpstreamDiscoveryMode,
  type UpstreamOAuthProvider,
  type UpstreamOAuthProviderId,
  type UpstreamPkceMethod,
  type UpstreamResponseMode,
  type UpstreamTokenAuthMethod,
} from '../../../model/upstream-oauth.ts';
import type {
  UpstreamOAuthProviderFields,
  UpstreamOAuthProviderFilter,
  UpstreamOAuthProviderRepository,
} from '../../upstream-oauth-repository.ts';
import type { Page, Pagination } from '../../user-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UpstreamOAuthProvidersTable } from '../schema.ts';
import { pageById } from './id-pagination.ts';

type Row = Selectable<UpstreamOAuthProvidersTable>;

function toProvider(row: Row, d: SqlDialect): UpstreamOAuthProvider {
  return {
    id: asUpstreamOAuthProviderId(row.id),
    issuer: row.issuer,
    humanName: row.human_name,
    brandName: row.brand_name,
    synapseIdpId: row.synapse_idp_id,
    clientId: row.client_id,
    encryptedClientSecret: row.encrypted_client_secret,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as UpstreamTokenAuthMethod,
    tokenEndpointSigningAlg: row.token_endpoint_signing_alg,
    signInWithApple:
      row.sign_in_with_apple === null ? null : d.fromJson<SignInWithApple>(row.sign_in_with_apple),
    idTokenSignedResponseAlg: row.id_token_signed_response_alg,
    userinfoSignedResponseAlg: row.userinfo_signed_response_alg,
    scope: row.scope,
    discoveryMode: row.discovery_mode as UpstreamDiscoveryMode,
    pkceMethod: row.pkce_method as UpstreamPkceMethod,
    fetchUserinfo: d.fromBoolean(row.fetch_userinfo),
    authorizationEndpointOverride: row.authorization_endpoint_override,
    tokenEndpointOverride: row.token_endpoint_override,
    userinfoEndpointOverride: row.userinfo_endpoint_override,
    jwksUriOverride: row.jwks_uri_override,
    responseMode: row.response_mode as UpstreamResponseMode | null,
    additionalAuthorizationParameters: d.fromJson<Record<string, string>>(
      row.additional_authorization_parameters,
    ),
    forwardLoginHint: d.fromBoolean(row.forward_login_hint),
    onBackchannelLogout: row.on_backchannel_logout as UpstreamBackchannelLogoutAction,
    registrationTokenRequired: d.fromBoolean(row.registration_token_required),
    claimsImports: d.fromJson<UpstreamClaimsImports>(row.claims_imports),
    loginOnly: d.fromBoolean(row.login_only),
    claimsRequirements: d.fromJson<ClaimRequirement[]>(row.claims_requirements),
    adminClaim: row.admin_claim === null ? null : d.fromJson<AdminClaim>(row.admin_claim),
    uiOrder: Number(row.ui_order),
    createdAt: d.fromTimestamp(row.created_at),
    disabledAt: d.fromNullableTimestamp(row.disabled_at),
  };
}

function fieldColumns(
  f: UpstreamOAuthProviderFields,
  d: SqlDialect,
): Omit<Insertable<UpstreamOAuthProvidersTable>, 'id' | 'created_at' | 'disabled_at'> {
  return {
    issuer: f.issuer,
    human_name: f.humanName,
    brand_name: f.brandName,
    synapse_idp_id: f.synapseIdpId,
    client_id: f.clientId,
    encrypted_client_secret: f.encryptedClientSecret,
    token_endpoint_auth_method: f.tokenEndpointAuthMethod,
    token_endpoint_signing_alg: f.tokenEndpointSigningAlg,
    sign_in_with_apple: f.signInWithApple === null ? null : d.toJson(f.signInWithApple),
    id_token_signed_response_alg: f.idTokenSignedResponseAlg,
    userinfo_signed_response_alg: f.userinfoSignedResponseAlg,
    scope: f.scope,
    discovery_mode: f.discoveryMode,
    pkce_method: f.pkceMethod,
    fetch_userinfo: d.toBoolean(f.fetchUserinfo),
    authorization_endpoint_override: f.authorizationEndpointOverride,
    token_endpoint_override: f.tokenEndpointOverride,
    userinfo_endpoint_override: f.userinfoEndpointOverride,
    jwks_uri_override: f.jwksUriOverride,
    response_mode: f.responseMode,
    additional_authorization_parameters: d.toJson(f.additionalAuthorizationParameters),
    forward_login_hint: d.toBoolean(f.forwardLoginHint),
    on_backchannel_logout: f.onBackchannelLogout,
    registration_token_required: d.toBoolean(f.registrationTokenRequired),
    claims_imports: d.toJson(f.claimsImports),
    login_only: d.toBoolean(f.loginOnly),
    claims_requirements: d.toJson(f.claimsRequirements),
    admin_claim: f.adminClaim === null ? null : d.toJson(f.adminClaim),
    ui_order: f.uiOrder,
  };
}

export class SqlUpstreamOAuthProviderRepository implements UpstreamOAuthProviderRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookup(id: UpstreamOAuthProviderId): Promise<UpstreamOAuthProvider | null> {
    const row = await this.#db
      .selectFrom('upstream_oauth_providers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toProvider(row, this.#dialect);
  }

  async all(options: { enabledOnly?: boolean } = {}): Promise<UpstreamOAuthProvider[]> {
    const rows = await this.#db
      .selectFrom('upstream_oauth_providers')
      .selectAll()
      .$if(options.enabledOnly === true, (q) => q.where('disabled_at', 'is', null))
      .orderBy('ui_order')
      .orderBy('id')
      .execute();
    return rows.map((row) => toProvider(row, this.#dialect));
  }

  async upsert(
    clock: Clock,
    id: UpstreamOAuthProviderId,
    fields: UpstreamOAuthProviderFields,
    enabled: boolean,
  ): Promise<UpstreamOAuthProvider> {
    const d = this.#dialect;
    const now = d.toTimestamp(clock.now());
    const columns = fieldColumns(fields, d);
    const existing = await this.lookup(id);
    if (existing === null) {
      await this.#db
        .insertInto('upstream_oauth_providers')
        .values({ id, ...columns, created_at: now, disabled_at: enabled ? null : now })
        // Two servers starting at once sync the same configuration: the second insert yields.
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    } else {
      const disabledAt = enabled
        ? null
        : existing.disabledAt === null
          ? now
          : d.toTimestamp(existing.disabledAt);
      await this.#db
        .updateTable('upstream_oauth_providers')
        .set({ ...columns, disabled_at: disabledAt })
        .where('id', '=', id)
        .execute();
    }
    const saved = await this.lookup(id);
    if (saved === null) throw new Error(`upstream provider ${id} vanished while being saved`);
    return saved;
  }

  async disable(clock: Clock, id: UpstreamOAuthProviderId): Promise<void> {
    await this.#db
      .updateTable('upstream_oauth_providers')
      .set({ disabled_at: this.#dialect.toTimestamp(clock.now()) })
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .execute();
  }

  async delete(id: UpstreamOAuthProviderId): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('upstream_oauth_providers')
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  listPage(
    filter: UpstreamOAuthProviderFilter,
    pagination: Pagination<UpstreamOAuthProviderId>,
  ): Promise<Page<UpstreamOAuthProvider>> {
    return pageById(
      pagination,
      () => this.#filtered(filter),
      (row: Row) => toProvider(row, this.#dialect),
    );
  }

  async count(filter: UpstreamOAuthProviderFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  #filtered(filter: UpstreamOAuthProviderFilter) {
    return this.#db
      .selectFrom('upstream_oauth_providers')
      .$if(filter.enabled !== undefined, (q) =>
        q.where('disabled_at', filter.enabled ? 'is' : 'is not', null),
      );
  }
}
