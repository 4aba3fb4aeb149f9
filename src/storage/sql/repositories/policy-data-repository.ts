// `PolicyDataRepository` over Kysely: one row per version, ordered by its ULID (creation order).

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Clock } from '../../../clock.ts';
import { asPolicyDataId, type PolicyData, type PolicyDataId } from '../../../model/policy-data.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type { PolicyDataRepository } from '../../policy-data-repository.ts';
import type { SqlDialect } from '../dialect.ts';
import type { PolicyDataTable, Schema } from '../schema.ts';

function toPolicyData(row: Selectable<PolicyDataTable>, d: SqlDialect): PolicyData {
  return {
    id: asPolicyDataId(row.id),
    createdAt: d.fromTimestamp(row.created_at),
    data: d.fromJson<unknown>(row.data),
  };
}

export class SqlPolicyDataRepository implements PolicyDataRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(rng: Rng, clock: Clock, data: unknown): Promise<PolicyData> {
    const createdAt = clock.now();
    const id = asPolicyDataId(newUlid(clock, rng));
    await this.#db
      .insertInto('policy_data')
      .values({
        id,
        created_at: this.#dialect.toTimestamp(createdAt),
        data: this.#dialect.toJson(data),
      })
      .execute();
    return { id, createdAt, data };
  }

  async latest(): Promise<PolicyData | null> {
    const row = await this.#db
      .selectFrom('policy_data')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : toPolicyData(row, this.#dialect);
  }

  async lookup(id: PolicyDataId): Promise<PolicyData | null> {
    const row = await this.#db
      .selectFrom('policy_data')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : toPolicyData(row, this.#dialect);
  }

  async prune(keep: number): Promise<number> {
    if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`keep must be ≥ 0, got ${keep}`);
    const kept = this.#db.selectFrom('policy_data').select('id').orderBy('id', 'desc').limit(keep);
    const result = await this.#db
      .deleteFrom('policy_data')
      .where('id', 'not in', kept)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
