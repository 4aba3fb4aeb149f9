// An RFC 8628 device authorization: the device polls with `device_code` while the user enters
// `user_code` on /link and consents (fulfilled) or refuses (rejected).

import type {
  BrowserSessionId,
  DeviceCodeGrantId,
  OAuth2ClientId,
  OAuth2SessionId,
} from './ids.ts';

export interface DeviceCodeGrant {
  readonly id: DeviceCodeGrantId;
  readonly clientId: OAuth2ClientId;
  readonly scope: string;
  /** What the user types: 6 upper-case letters and digits, as MAS. */
  readonly userCode: string;
  readonly deviceCodeHash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly lastPolledAt: Date | null;
  readonly fulfilledAt: Date | null;
  readonly rejectedAt: Date | null;
  readonly browserSessionId: BrowserSessionId | null;
  readonly exchangedAt: Date | null;
  readonly oauth2SessionId: OAuth2SessionId | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

export type DeviceCodeGrantStage = 'pending' | 'fulfilled' | 'rejected' | 'exchanged' | 'expired';

export function deviceGrantStage(grant: DeviceCodeGrant, now: Date): DeviceCodeGrantStage {
  if (grant.exchangedAt !== null) return 'exchanged';
  if (grant.rejectedAt !== null) return 'rejected';
  if (grant.fulfilledAt !== null) return 'fulfilled';
  if (grant.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'pending';
}
