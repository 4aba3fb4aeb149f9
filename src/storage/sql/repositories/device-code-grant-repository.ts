// `DeviceCodeGrantRepository` over Kysely. User codes are unique: `add` inserts with
// ON CONFLICT DO NOTHING, so a collision is a null and a PostgreSQL transaction stays usable.
// Stage changes are conditional UPDATEs, as for authorization grants.

import type {
  Expression,
  ExpressionBuilder,
  Kysely,
  Selectable,
  SqlBool,
  Transaction,
  UpdateObject,
} from 'kysely';
import type { Clock } from '../../../clock.ts';
import { deviceGrantStage, type DeviceCodeGrant } from '../../../model/device-code-grant.ts';
import {
  asBrowserSessionId,
  asDeviceCodeGrantId,
  asOAuth2ClientId,
  asOAuth2SessionId,
  type BrowserSessionId,
  type DeviceCodeGrantId,
  type OAuth2SessionId,
} from '../../../model/ids.ts';
import { newUlid, type Rng } from '../../../rng.ts';
import type {
  DeviceCodeGrantRepository,
  NewDeviceCodeGrant,
} from '../../device-code-grant-repository.ts';
import { StateConflictError } from '../../state-conflict-error.ts';
import type { SqlDialect, TimestampValue } from '../dialect.ts';
import type { OAuth2DeviceCodeGrantsTable, Schema } from '../schema.ts';

type Table = 'oauth2_device_code_grants';

function toGrant(row: Selectable<OAuth2DeviceCodeGrantsTable>, d: SqlDialect): DeviceCodeGrant {
  return {
    id: asDeviceCodeGrantId(row.id),
    clientId: asOAuth2ClientId(row.oauth2_client_id),
    scope: row.scope,
    userCode: row.user_code,
    deviceCodeHash: row.device_code_hash,
    createdAt: d.fromTimestamp(row.created_at),
    expiresAt: d.fromTimestamp(row.expires_at),
    lastPolledAt: d.fromNullableTimestamp(row.last_polled_at),
    fulfilledAt: d.fromNullableTimestamp(row.fulfilled_at),
    rejectedAt: d.fromNullableTimestamp(row.rejected_at),
    browserSessionId: row.user_session_id === null ? null : asBrowserSessionId(row.user_session_id),
    exchangedAt: d.fromNullableTimestamp(row.exchanged_at),
    oauth2SessionId:
      row.oauth2_session_id === null ? null : asOAuth2SessionId(row.oauth2_session_id),
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
  };
}

/** Neither decided nor exchanged, and not expired at `now` (see `deviceGrantStage`). */
function isPendingAt(now: TimestampValue) {
  return (eb: ExpressionBuilder<Schema, Table>): Expression<SqlBool> =>
    eb.and([
      eb('fulfilled_at', 'is', null),
      eb('rejected_at', 'is', null),
      eb('exchanged_at', 'is', null),
      eb('expires_at', '>', now),
    ]);
}

function isFulfilled(eb: ExpressionBuilder<Schema, Table>): Expression<SqlBool> {
  return eb.and([
    eb('fulfilled_at', 'is not', null),
    eb('rejected_at', 'is', null),
    eb('exchanged_at', 'is', null),
  ]);
}

export class SqlDeviceCodeGrantRepository implements DeviceCodeGrantRepository {
  readonly #db: Kysely<Schema> | Transaction<Schema>;
  readonly #dialect: SqlDialect;

  constructor(db: Kysely<Schema> | Transaction<Schema>, dialect: SqlDialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async add(rng: Rng, clock: Clock, grant: NewDeviceCodeGrant): Promise<DeviceCodeGrant | null> {
    const d = this.#dialect;
    const row = await this.#db
      .insertInto('oauth2_device_code_grants')
      .values({
        id: newUlid(clock, rng),
        oauth2_client_id: grant.clientId,
        scope: grant.scope,
        user_code: grant.userCode,
        device_code_hash: grant.deviceCodeHash,
        created_at: d.toTimestamp(clock.now()),
        expires_at: d.toTimestamp(grant.expiresAt),
        last_polled_at: null,
        fulfilled_at: null,
        rejected_at: null,
        user_session_id: null,
        exchanged_at: null,
        oauth2_session_id: null,
        ip_address: grant.ipAddress,
        user_agent: grant.userAgent,
      })
      .onConflict((oc) => oc.column('user_code').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? null : toGrant(row, d);
  }

  lookup(id: DeviceCodeGrantId): Promise<DeviceCodeGrant | null> {
    return this.#findBy('id', id);
  }

  findByUserCode(userCode: string): Promise<DeviceCodeGrant | null> {
    return this.#findBy('user_code', userCode);
  }

  findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCodeGrant | null> {
    return this.#findBy('device_code_hash', deviceCodeHash);
  }

  async recordPoll(clock: Clock, grant: DeviceCodeGrant): Promise<DeviceCodeGrant> {
    const row = await this.#db
      .updateTable('oauth2_device_code_grants')
      .set({ last_polled_at: this.#dialect.toTimestamp(clock.now()) })
      .where('id', '=', grant.id)
      .returningAll()
      .executeTakeFirst();
    // The caller loaded the grant in this transaction; a missing row is a bug, not "not found".
    if (row === undefined) throw new Error(`device code grant ${grant.id} does not exist`);
    return toGrant(row, this.#dialect);
  }

  fulfill(
    clock: Clock,
    grant: DeviceCodeGrant,
    browserSessionId: BrowserSessionId,
  ): Promise<DeviceCodeGrant> {
    const now = clock.now();
    const at = this.#dialect.toTimestamp(now);
    return this.#transition(grant, 'fulfill', now, isPendingAt(at), {
      fulfilled_at: at,
      user_session_id: browserSessionId,
    });
  }

  reject(
    clock: Clock,
    grant: DeviceCodeGrant,
    browserSessionId: BrowserSessionId,
  ): Promise<DeviceCodeGrant> {
    const now = clock.now();
    const at = this.#dialect.toTimestamp(now);
    return this.#transition(grant, 'reject', now, isPendingAt(at), {
      rejected_at: at,
      user_session_id: browserSessionId,
    });
  }

  exchange(
    clock: Clock,
    grant: DeviceCodeGrant,
    oauth2SessionId: OAuth2SessionId,
  ): Promise<DeviceCodeGrant> {
    const now = clock.now();
    return this.#transition(grant, 'exchange', now, isFulfilled, {
      exchanged_at: this.#dialect.toTimestamp(now),
      oauth2_session_id: oauth2SessionId,
    });
  }

  async deleteExpiredBefore(before: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom('oauth2_device_code_grants')
      .where('expires_at', '<', this.#dialect.toTimestamp(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #findBy(
    column: 'id' | 'user_code' | 'device_code_hash',
    value: string,
  ): Promise<DeviceCodeGrant | null> {
    const row = await this.#db
      .selectFrom('oauth2_device_code_grants')
      .selectAll()
      .where(column, '=', value)
      .executeTakeFirst();
    return row === undefined ? null : toGrant(row, this.#dialect);
  }

  async #transition(
    grant: DeviceCodeGrant,
    action: string,
    now: Date,
    from: (eb: ExpressionBuilder<Schema, Table>) => Expression<SqlBool>,
    changes: UpdateObject<Schema, Table>,
  ): Promise<DeviceCodeGrant> {
    const row = await this.#db
      .updateTable('oauth2_device_code_grants')
      .set(changes)
      .where('id', '=', grant.id)
      .where(from)
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toGrant(row, this.#dialect);
    const current = await this.lookup(grant.id);
    const reason =
      current === null ? 'it does not exist' : `it is ${deviceGrantStage(current, now)}`;
    throw new StateConflictError('device_code_grant', grant.id, action, reason);
  }
}
