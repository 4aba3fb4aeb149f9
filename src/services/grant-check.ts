// The grant policy (src/oauth2/grant-policy.ts) for a signed-in user about to allow a grant: the
// user's admin rights and, when `experimental.session_limit` is set, their active sessions for the
// soft limit. Called where a person answers an authorization request (consent, remembered consent,
// device approval). The policy itself stays pure; this only gathers what it needs.

import type { RootConfig } from '../config/root.ts';
import type { User } from '../model/user.ts';
import {
  grantPolicyConfig,
  grantPolicyViolations,
  type PolicyGrant,
  type PolicyViolation,
} from '../oauth2/grant-policy.ts';
import type { Repositories } from '../storage/storage.ts';
import { listAppSessions } from './user-sessions.ts';

export async function userGrantViolations(
  repos: Repositories,
  config: Pick<RootConfig, 'matrix' | 'policy' | 'experimental'>,
  input: {
    readonly grant: PolicyGrant;
    readonly scopes: readonly string[];
    readonly clientId: string;
    readonly user: User;
  },
): Promise<PolicyViolation[]> {
  const activeSessions =
    config.experimental.session_limit === undefined
      ? undefined
      : (await listAppSessions(repos, input.user.id)).length;
  return grantPolicyViolations(
    activeSessions === undefined ? input : { ...input, activeSessions },
    grantPolicyConfig(config),
  );
}
