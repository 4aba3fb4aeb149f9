// The authorization-grant policy: what scopes a grant may carry, for whom (MAS
// `policies/authorization_grant/authorization_grant.rego`). One function, called by every grant:
// at /authorize and /oauth2/device (who the user is not known yet: the rules about the scope
// alone), on consent (with the user and their session count: admin rights, the soft session
// limit), and at the token endpoint (with the user again, for the code and device-code grants;
// with no user for client_credentials).
//
// Rules:
// - Matrix scopes (see ./matrix-scopes.ts) only when a homeserver is configured;
// - the client-server API and device scopes, and `urn:synapse:admin:*`, only in grants with a user;
// - a device id of `[A-Za-z0-9._~!$&'()*+,;=:@/-]{10,}`, at most one device per request, and the
//   API scope with it; stable and unstable (MSC2967) forms not mixed;
// - `urn:synapse:admin:*` and `urn:mas:admin` for users with `canRequestAdmin` or listed in
//   `policy.data.admin_users`; `urn:mas:admin` without a user for clients in
//   `policy.data.admin_clients`;
// - the soft session limit (`experimental.session_limit`) on interactive grants, unless the user
//   is above `max_session_threshold`.
//
// Unlike MAS, scopes outside the Matrix and MAS namespaces are allowed (Gatehouse is also a plain
// OpenID provider); unknown ones inside those namespaces are refused.

import type { RootConfig } from '../config/root.ts';
import type { SessionLimitConfig } from '../config/sections/experimental.ts';
import { OAuthError } from './errors.ts';
import { isValidDeviceId, MAS_ADMIN_SCOPE, matrixScope, type ScopeForm } from './matrix-scopes.ts';

export type PolicyGrant = 'authorization_code' | 'device_code' | 'client_credentials';

export interface GrantPolicyInput {
  readonly grant: PolicyGrant;
  readonly scopes: readonly string[];
  readonly clientId: string;
  /**
   * The user the grant is for; null for a grant without one (client_credentials); undefined while
   * not known yet (/authorize before sign-in), which skips the rules about the user.
   */
  readonly user?: { readonly username: string; readonly canRequestAdmin: boolean } | null;
  /** The user's active sessions, for the soft limit; undefined skips that rule. */
  readonly activeSessions?: number;
}

export interface GrantPolicyConfig {
  /** A homeserver is configured: Matrix scopes exist. */
  readonly matrix: boolean;
  readonly adminUsers: readonly string[];
  readonly adminClients: readonly string[];
  readonly sessionLimit: SessionLimitConfig | null;
}

export type PolicyViolationCode =
  | 'scope-not-allowed'
  | 'invalid-device-id'
  | 'too-many-devices'
  | 'device-without-api'
  | 'mixed-scope-forms'
  | 'too-many-sessions';

export interface PolicyViolation {
  readonly code: PolicyViolationCode;
  /** One line, safe to show to the user and the client. */
  readonly message: string;
  /** For `too-many-sessions`: how many sessions the user must end first. */
  readonly needToRemove?: number;
}

const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

export function grantPolicyConfig(
  config: Pick<RootConfig, 'matrix' | 'policy' | 'experimental'>,
): GrantPolicyConfig {
  return {
    matrix: config.matrix !== undefined,
    adminUsers: stringList(config.policy.data.admin_users),
    adminClients: stringList(config.policy.data.admin_clients),
    sessionLimit: config.experimental.session_limit ?? null,
  };
}

export function grantPolicyViolations(
  input: GrantPolicyInput,
  config: GrantPolicyConfig,
): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  const notAllowed = (scope: string, why: string) =>
    violations.push({
      code: 'scope-not-allowed',
      message: `scope ${scope} is not allowed: ${why}`,
    });
  const withUser = input.grant !== 'client_credentials';
  const isAdminUser =
    input.user === undefined || input.user === null
      ? null
      : input.user.canRequestAdmin || config.adminUsers.includes(input.user.username);

  const forms = new Set<ScopeForm>();
  let devices = 0;
  let api = false;
  for (const scope of input.scopes) {
    if (scope === MAS_ADMIN_SCOPE) {
      if (!withUser) {
        if (!config.adminClients.includes(input.clientId)) {
          notAllowed(scope, 'this client is not an admin client');
        }
      } else if (isAdminUser === false) {
        notAllowed(scope, 'this account may not request admin access');
      }
      continue;
    }
    if (scope.startsWith('urn:mas:') && scope !== 'urn:mas:graphql:*') {
      notAllowed(scope, 'unknown scope');
      continue;
    }
    const parsed = matrixScope(scope);
    if (parsed === null) continue;
    if (!config.matrix) {
      notAllowed(scope, 'no Matrix homeserver is configured');
      continue;
    }
    if (!withUser && parsed.kind !== 'unknown') {
      notAllowed(scope, 'it needs a user (an interactive grant)');
      continue;
    }
    switch (parsed.kind) {
      case 'unknown':
        notAllowed(scope, 'unknown scope');
        break;
      case 'synapse-admin':
        if (isAdminUser === false) notAllowed(scope, 'this account may not request admin access');
        break;
      case 'api':
        api = true;
        forms.add(parsed.form);
        break;
      case 'device':
        devices += 1;
        forms.add(parsed.form);
        if (!isValidDeviceId(parsed.deviceId)) {
          violations.push({
            code: 'invalid-device-id',
            message:
              "a device id must be at least 10 characters of A-Z a-z 0-9 and ._~!$&'()*+,;=:@/-",
          });
        }
        break;
    }
  }
  if (devices > 1) {
    violations.push({ code: 'too-many-devices', message: 'only one device scope is allowed' });
  }
  if (devices > 0 && !api) {
    violations.push({
      code: 'device-without-api',
      message: 'a device scope needs the client-server API scope',
    });
  }
  if (forms.size > 1) {
    violations.push({
      code: 'mixed-scope-forms',
      message: 'stable and unstable (MSC2967) Matrix scopes cannot be mixed',
    });
  }

  const limit = config.sessionLimit;
  const active = input.activeSessions;
  if (
    withUser &&
    limit !== null &&
    active !== undefined &&
    active >= limit.soft_limit &&
    (limit.max_session_threshold === undefined || active <= limit.max_session_threshold)
  ) {
    const needToRemove = active - limit.soft_limit + 1;
    violations.push({
      code: 'too-many-sessions',
      message: `this account has ${active} active sessions; end at least ${needToRemove} before signing in to another application`,
      needToRemove,
    });
  }
  return violations;
}

/** The OAuth error for violations at the token or device endpoints: the first one's message. */
export function policyError(violations: readonly PolicyViolation[]): OAuthError {
  const first = violations[0]!;
  return first.code === 'too-many-sessions'
    ? new OAuthError('access_denied', first.message)
    : new OAuthError('invalid_scope', first.message);
}

/** Throws `policyError` when there is any violation. */
export function enforceGrantPolicy(input: GrantPolicyInput, config: GrantPolicyConfig): void {
  const violations = grantPolicyViolations(input, config);
  if (violations.length > 0) throw policyError(violations);
}
