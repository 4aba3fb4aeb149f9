// A password hash of a user (MAS: `user_passwords`). Rows are never updated: setting or upgrading a
// password adds a row, and the newest row is the one that counts. `version` names the
// `passwords.schemes[]` entry the hash was made with; a hash re-made under a newer scheme at login
// points at the row it replaced through `upgradedFromId`.

import type { UserId, UserPasswordId } from './ids.ts';

export interface UserPassword {
  readonly id: UserPasswordId;
  readonly userId: UserId;
  readonly hashedPassword: string;
  readonly version: number;
  readonly upgradedFromId: UserPasswordId | null;
  readonly createdAt: Date;
}

/** True when the hash was made with an older scheme than `currentVersion` and should be re-made. */
export function needsUpgrade(password: UserPassword, currentVersion: number): boolean {
  return password.version < currentVersion;
}
