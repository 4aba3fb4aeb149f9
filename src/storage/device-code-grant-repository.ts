// RFC 8628 device authorizations (see model/device-code-grant.ts).
//
// Stage changes follow `deviceGrantStage` and are checked against the database row: `fulfill` and
// `reject` only while pending (not expired at `clock.now()`), `exchange` only from fulfilled;
// anything else throws `StateConflictError` (./state-conflict-error.ts).

import type { Clock } from '../clock.ts';
import type { DeviceCodeGrant } from '../model/device-code-grant.ts';
import type { BrowserSessionId, DeviceCodeGrantId, OAuth2SessionId } from '../model/ids.ts';
import type { Rng } from '../rng.ts';

export type NewDeviceCodeGrant = Pick<
  DeviceCodeGrant,
  'clientId' | 'scope' | 'userCode' | 'deviceCodeHash' | 'expiresAt' | 'ipAddress' | 'userAgent'
>;

export interface DeviceCodeGrantRepository {
  /**
   * Null when the user code is already taken (the caller draws another). The transaction stays
   * usable after a null.
   */
  add(rng: Rng, clock: Clock, grant: NewDeviceCodeGrant): Promise<DeviceCodeGrant | null>;
  lookup(id: DeviceCodeGrantId): Promise<DeviceCodeGrant | null>;
  findByUserCode(userCode: string): Promise<DeviceCodeGrant | null>;
  findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCodeGrant | null>;
  /** Records a poll (for `slow_down`). */
  recordPoll(clock: Clock, grant: DeviceCodeGrant): Promise<DeviceCodeGrant>;
  fulfill(
    clock: Clock,
    grant: DeviceCodeGrant,
    browserSessionId: BrowserSessionId,
  ): Promise<DeviceCodeGrant>;
  reject(
    clock: Clock,
    grant: DeviceCodeGrant,
    browserSessionId: BrowserSessionId,
  ): Promise<DeviceCodeGrant>;
  exchange(
    clock: Clock,
    grant: DeviceCodeGrant,
    oauth2SessionId: OAuth2SessionId,
  ): Promise<DeviceCodeGrant>;
  /** Retention: deletes grants that expired before `before`; returns how many. */
  deleteExpiredBefore(before: Date): Promise<number>;
}
