// One successful authentication within a browser session (a password check today; upstream and
// second factors later). The newest gives `auth_time`, and `max_age` / `prompt=login` compare
// against it.

import type { BrowserAuthenticationId, BrowserSessionId, UserPasswordId } from './ids.ts';

export type AuthenticationMethod = 'password';

export interface BrowserAuthentication {
  readonly id: BrowserAuthenticationId;
  readonly browserSessionId: BrowserSessionId;
  readonly method: AuthenticationMethod;
  readonly userPasswordId: UserPasswordId | null;
  readonly createdAt: Date;
}
