// One successful authentication within a browser session (a password check or a sign-in through an
// upstream provider; second factors later). The newest gives `auth_time`, and `max_age` / `prompt=login` compare
// against it.

import type { BrowserAuthenticationId, BrowserSessionId, UserPasswordId } from './ids.ts';

export type AuthenticationMethod = 'password' | 'upstream_oauth2';

export interface BrowserAuthentication {
  readonly id: BrowserAuthenticationId;
  readonly browserSessionId: BrowserSessionId;
  readonly method: AuthenticationMethod;
  readonly userPasswordId: UserPasswordId | null;
  readonly createdAt: Date;
}
