// The Matrix scopes (MAS `docs/reference/scopes.md`, MSC2967 and the Matrix spec's "OAuth 2.0 API"):
//
//   urn:matrix:client:api:*                      the whole client-server API
//   urn:matrix:client:device:<id>                the device the session acts as
//   urn:matrix:org.matrix.msc2967.client:api:*   the unstable (MSC2967) forms of the two above
//   urn:matrix:org.matrix.msc2967.client:device:<id>
//   urn:synapse:admin:*                          Synapse's admin API
//   urn:mas:admin                                Gatehouse's (MAS's) admin API
//
// Pure functions only: recognising, reading and normalising these scopes. What a grant may ask
// for is decided in ./grant-policy.ts.

import {
  MATRIX_DEVICE_PREFIX,
  MATRIX_DEVICE_PREFIX_UNSTABLE,
  parseDeviceScope,
  type ScopeForm,
} from '../model/matrix-device-scope.ts';

// The device scope is read by storage too, so it lives in the model; re-exported here with the
// other Matrix scopes.
export {
  deviceIdOfScope,
  MATRIX_DEVICE_PREFIX,
  MATRIX_DEVICE_PREFIX_UNSTABLE,
  type ScopeForm,
} from '../model/matrix-device-scope.ts';

export const MATRIX_API_SCOPE = 'urn:matrix:client:api:*';
export const MATRIX_API_SCOPE_UNSTABLE = 'urn:matrix:org.matrix.msc2967.client:api:*';
export const SYNAPSE_ADMIN_SCOPE = 'urn:synapse:admin:*';
export const MAS_ADMIN_SCOPE = 'urn:mas:admin';
export const MAS_GRAPHQL_SCOPE = 'urn:mas:graphql:*';

/** MAS's device id rule (`authorization_grant.rego`): URL-safe characters, at least 10. */
const DEVICE_ID = /^[A-Za-z0-9._~!$&'()*+,;=:@/-]{10,}$/;

/** What one scope token means in Matrix terms; null for a token that is not a Matrix scope. */
export type MatrixScope =
  | { readonly kind: 'api'; readonly form: ScopeForm }
  | { readonly kind: 'device'; readonly form: ScopeForm; readonly deviceId: string }
  | { readonly kind: 'synapse-admin' }
  /** Under a Matrix scope prefix but matching no Matrix scope (a typo, an unknown API). */
  | { readonly kind: 'unknown' };

export function isValidDeviceId(deviceId: string): boolean {
  return DEVICE_ID.test(deviceId);
}

export function matrixScope(token: string): MatrixScope | null {
  if (token === MATRIX_API_SCOPE) return { kind: 'api', form: 'stable' };
  if (token === MATRIX_API_SCOPE_UNSTABLE) return { kind: 'api', form: 'unstable' };
  const device = parseDeviceScope(token);
  if (device !== null) return { kind: 'device', ...device };
  if (token === SYNAPSE_ADMIN_SCOPE) return { kind: 'synapse-admin' };
  if (token.startsWith('urn:matrix:') || token.startsWith('urn:synapse:'))
    return { kind: 'unknown' };
  return null;
}

/** True when the scope grants the client-server API (either form). */
export function hasMatrixApiScope(scope: string | readonly string[]): boolean {
  const tokens = typeof scope === 'string' ? scope.split(' ') : scope;
  return tokens.includes(MATRIX_API_SCOPE) || tokens.includes(MATRIX_API_SCOPE_UNSTABLE);
}

/**
 * The scope with both the stable and unstable forms of the Matrix API and device scopes, as MAS
 * answers introspection, so homeservers that know only one form understand it. With
 * `withoutDevice` the device scopes are left out (the caller reports the device in `device_id`).
 */
export function normaliseMatrixScope(scope: string, withoutDevice = false): string {
  const tokens = new Set<string>();
  // A granted scope, checked when it was granted: split, not parsed again (parsing would check
  // every token's characters on each introspection, and throw on a scope it once accepted).
  for (const token of scope.split(' ')) {
    if (token === '') continue;
    const parsed = matrixScope(token);
    if (parsed?.kind === 'api') {
      tokens.add(MATRIX_API_SCOPE);
      tokens.add(MATRIX_API_SCOPE_UNSTABLE);
    } else if (parsed?.kind === 'device') {
      if (withoutDevice) continue;
      tokens.add(MATRIX_DEVICE_PREFIX + parsed.deviceId);
      tokens.add(MATRIX_DEVICE_PREFIX_UNSTABLE + parsed.deviceId);
    } else {
      tokens.add(token);
    }
  }
  return [...tokens].sort().join(' ');
}
