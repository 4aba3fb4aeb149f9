// `ClientAssertionRepository` over Kysely: the (client, jti) primary key is the replay check.
// INSERT ... ON CONFLICT DO NOTHING makes a replay a row not inserted instead of a failed
// statement, which would abort a PostgreSQL transaction; a concurrent replay waits for the first
// insert to commit and then finds the conflict.

import type { Kysely, Transaction } from 'kysely';
import type { OAuth2ClientId } from '../../../model/ids.ts';
import type { ClientAssertionRepository } from '../../client-assertion-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { Schema } from '../schema.ts';

export class SqlClientAssertionRepository implements ClientAssertionRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async recordJti(clientId: OAuth2ClientId, jti: string, expiresAt: Date): Promise<boolean> {
    const row = await this.#db
      .insertInto('oauth2_client_assertion_jtis')
      .values({
        oauth2_client_id: clientId,
        jti,
        expires_at: this.#dialect.toTimestamp(expiresAt),
      })
      .onConflict((oc) => oc.columns(['oauth2_client_id', 'jti']).doNothing())
      .returning('jti')
      .executeTakeFirst();
    return row !== undefined;
  }

  async deleteExpiredBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('oauth2_client_assertion_jtis')
      .where('expires_at', '<', this.#dialect.toTimestamp(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
