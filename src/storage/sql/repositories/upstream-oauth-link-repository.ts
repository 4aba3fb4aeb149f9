// `UpstreamOAuthLinkRepository` over Kysely. (provider, subject) is unique: `add` inserts with
// ON CONFLICT DO NOTHING, so a concurrent first login at the same provider makes one link.

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asUserId, type UserId } from '../../../model/ids.ts';
import {
  asUpstreamOAuthLinkId,
  asUpstreamOAuthProviderId,
  type UpstreamOAuthLink,
  type UpstreamOAuthLinkId,
  type UpstreamOAuthProviderId,
} from '../../../model/upstream-oauth.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  NewUpstreamOAuthLink,
  UpstreamOAuthLinkFilter,
  UpstreamOAuthLinkRepository,
} from '../../upstream-oauth-repository.ts';
import type { Page, Pagination } from '../../user-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema, UpstreamOAuthLinksTable } from '../schema.ts';
import { pageById } from './id-pagination.ts';

type Row = Selectable<UpstreamOAuthLinksTable>;

function toLink(row: Row, d: SqlDialect): UpstreamOAuthLink {
  return {
    id: asUpstreamOAuthLinkId(row.id),
    providerId: asUpstreamOAuthProviderId(row.upstream_oauth_provider_id),
    userId: row.user_id === null ? null : asUserId(row.user_id),
    subject: row.subject,
    humanAccountName: row.human_account_name,
    createdAt: d.fromTimestamp(row.created_at),
  };
}

export class SqlUpstreamOAuthLinkRepository implements UpstreamOAuthLinkRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async lookup(id: UpstreamOAuthLinkId): Promise<UpstreamOAuthLink | null> {
    const row = await this.#db
      .selectFrom('upstream_oauth_links')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toLink(row, this.#dialect);
  }

  async findBySubject(
    providerId: UpstreamOAuthProviderId,
    subject: string,
  ): Promise<UpstreamOAuthLink | null> {
    const row = await this.#db
      .selectFrom('upstream_oauth_links')
      .selectAll()
      .where('upstream_oauth_provider_id', '=', providerId)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row === undefined ? null : toLink(row, this.#dialect);
  }

  async listForUser(userId: UserId): Promise<UpstreamOAuthLink[]> {
    const rows = await this.#db
      .selectFrom('upstream_oauth_links')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    return rows.map((row) => toLink(row, this.#dialect));
  }

  async findForUserAndProvider(
    userId: UserId,
    providerId: UpstreamOAuthProviderId,
  ): Promise<UpstreamOAuthLink | null> {
    const row = await this.#db
      .selectFrom('upstream_oauth_links')
      .selectAll()
      .where('user_id', '=', userId)
      .where('upstream_oauth_provider_id', '=', providerId)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : toLink(row, this.#dialect);
  }

  async add(rng: Rng, clock: Clock, link: NewUpstreamOAuthLink): Promise<UpstreamOAuthLink | null> {
    const row = await this.#db
      .insertInto('upstream_oauth_links')
      .values({
        id: newUlid(clock, rng),
        upstream_oauth_provider_id: link.providerId,
        user_id: link.userId ?? null,
        subject: link.subject,
        human_account_name: link.humanAccountName ?? null,
        created_at: this.#dialect.toTimestamp(clock.now()),
      })
      .onConflict((oc) => oc.columns(['upstream_oauth_provider_id', 'subject']).doNothing())
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toLink(row, this.#dialect);
  }

  async associate(link: UpstreamOAuthLink, userId: UserId): Promise<UpstreamOAuthLink> {
    await this.#db
      .updateTable('upstream_oauth_links')
      .set({ user_id: userId })
      .where('id', '=', link.id)
      .execute();
    return this.#mustExist(link.id);
  }

  async setHumanAccountName(
    link: UpstreamOAuthLink,
    humanAccountName: string | null,
  ): Promise<UpstreamOAuthLink> {
    await this.#db
      .updateTable('upstream_oauth_links')
      .set({ human_account_name: humanAccountName })
      .where('id', '=', link.id)
      .execute();
    return this.#mustExist(link.id);
  }

  async remove(clock: Clock, id: UpstreamOAuthLinkId): Promise<boolean> {
    // Before the delete, whose ON DELETE SET NULL would lose which sessions used the link.
    await this.#db
      .updateTable('upstream_oauth_authorization_sessions')
      .set({ unlinked_at: this.#dialect.toTimestamp(clock.now()) })
      .where('upstream_oauth_link_id', '=', id)
      .where('consumed_at', 'is', null)
      .where('unlinked_at', 'is', null)
      .execute();
    const result = await this.#db
      .deleteFrom('upstream_oauth_links')
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  listPage(
    filter: UpstreamOAuthLinkFilter,
    pagination: Pagination<UpstreamOAuthLinkId>,
  ): Promise<Page<UpstreamOAuthLink>> {
    return pageById(
      pagination,
      () => this.#filtered(filter),
      (row: Row) => toLink(row, this.#dialect),
    );
  }

  async count(filter: UpstreamOAuthLinkFilter): Promise<number> {
    const row = await this.#filtered(filter)
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  #filtered(filter: UpstreamOAuthLinkFilter) {
    return this.#db
      .selectFrom('upstream_oauth_links')
      .$if(filter.userId !== undefined, (q) => q.where('user_id', '=', filter.userId!))
      .$if(filter.providerId !== undefined, (q) =>
        q.where('upstream_oauth_provider_id', '=', filter.providerId!),
      )
      .$if(filter.subject !== undefined, (q) => q.where('subject', '=', filter.subject!))
      .$if(filter.humanAccountName !== undefined, (q) =>
        q.where('human_account_name', '=', filter.humanAccountName!),
      );
  }

  async #mustExist(id: UpstreamOAuthLinkId): Promise<UpstreamOAuthLink> {
    const current = await this.lookup(id);
    // The caller loaded the link in this transaction; a missing row is a bug, not "not found".
    if (current === null) throw new Error(`upstream link ${id} does not exist`);
    return current;
  }
}
