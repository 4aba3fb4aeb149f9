// `ConsentRepository` over Kysely: one row per (user, client), unique, whose `scopes` JSON array
// only grows until the consent is revoked (deleted).
//
// `grant` first upserts the row (INSERT ... ON CONFLICT DO UPDATE), which on PostgreSQL also locks
// an existing row until the transaction ends, then merges the scopes it returned: two concurrent
// grants for the same user and client take turns, and neither loses the other's scopes.

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import type { Consent } from '../../../model/consent.ts';
import {
  asConsentId,
  asOAuth2ClientId,
  asUserId,
  type ConsentId,
  type OAuth2ClientId,
  type UserId,
} from '../../../model/ids.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { ConsentRepository } from '../../consent-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { OAuth2ConsentsTable, Schema } from '../schema.ts';

function toConsent(row: Selectable<OAuth2ConsentsTable>, d: SqlDialect): Consent {
  return {
    id: asConsentId(row.id),
    userId: asUserId(row.user_id),
    clientId: asOAuth2ClientId(row.oauth2_client_id),
    scopes: d.fromJson<string[]>(row.scopes),
    createdAt: d.fromTimestamp(row.created_at),
    updatedAt: d.fromTimestamp(row.updated_at),
  };
}

/** The set union, sorted (by code unit, so the same on every platform). */
function mergeScopes(...lists: (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].sort();
}

export class SqlConsentRepository implements ConsentRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async find(userId: UserId, clientId: OAuth2ClientId): Promise<Consent | null> {
    const row = await this.#db
      .selectFrom('oauth2_consents')
      .selectAll()
      .where('user_id', '=', userId)
      .where('oauth2_client_id', '=', clientId)
      .executeTakeFirst();
    return row === undefined ? null : toConsent(row, this.#dialect);
  }

  async grant(
    rng: Rng,
    clock: Clock,
    userId: UserId,
    clientId: OAuth2ClientId,
    scopes: readonly string[],
  ): Promise<Consent> {
    const d = this.#dialect;
    const now = d.toTimestamp(clock.now());
    const requested = mergeScopes(scopes);
    const upserted = await this.#db
      .insertInto('oauth2_consents')
      .values({
        id: newUlid(clock, rng),
        user_id: userId,
        oauth2_client_id: clientId,
        scopes: d.toJson(requested),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['user_id', 'oauth2_client_id'])
          .doUpdateSet((eb) => ({ updated_at: eb.ref('excluded.updated_at') })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    const current = toConsent(upserted, d);
    const merged = mergeScopes(current.scopes, requested);
    if (merged.length === current.scopes.length) return current;
    const row = await this.#db
      .updateTable('oauth2_consents')
      .set({ scopes: d.toJson(merged) })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toConsent(row, d);
  }

  async listForUser(userId: UserId): Promise<Consent[]> {
    const rows = await this.#db
      .selectFrom('oauth2_consents')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((row) => toConsent(row, this.#dialect));
  }

  async revoke(id: ConsentId): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('oauth2_consents')
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
