// The hard session limit on compat logins (MAS: the `compat_login` policy with
// `experimental.session_limit`): `m.login.password` and `m.login.token` are refused with
// `M_FORBIDDEN` when the user already has `hard_limit` active sessions, unless eviction is on
// (services/session-limit.ts ends the least recently active ones and queues a device sync).

import type { User } from '../../../model/user.ts';
import { checkSessionLimit, type SessionLimitKind } from '../../../services/session-limit.ts';
import type { Repositories } from '../../../storage/storage.ts';
import type { CompatDeps } from './compat-request.ts';
import { forbidden } from './matrix-error.ts';

/** Inside the transaction that starts the session. */
export async function enforceSessionLimit(
  repos: Repositories,
  deps: CompatDeps,
  user: User,
  kind: Exclude<SessionLimitKind, 'interactive'>,
): Promise<void> {
  const outcome = await checkSessionLimit(repos, user, deps.config, kind, deps);
  if (!outcome.allowed) throw forbidden(`Too many active sessions: ${outcome.message}`);
}
