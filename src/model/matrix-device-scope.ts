// The Matrix device scope: the scope token naming the device a session acts as, in its stable
// (`urn:matrix:client:device:<id>`) and unstable MSC2967 (`urn:matrix:org.matrix.msc2967.client:
// device:<id>`) forms. It lives in the model because both sides need to read it: the protocol
// (../oauth2/matrix-scopes.ts re-exports it with the other Matrix scopes) and storage, which keeps
// the device of each OAuth 2.0 session in a column of its own so a login finds the sessions
// holding a device by index.

export const MATRIX_DEVICE_PREFIX = 'urn:matrix:client:device:';
export const MATRIX_DEVICE_PREFIX_UNSTABLE = 'urn:matrix:org.matrix.msc2967.client:device:';

export type ScopeForm = 'stable' | 'unstable';

export interface DeviceScope {
  readonly form: ScopeForm;
  readonly deviceId: string;
}

/** The device a single scope token names, or null when it is not a device scope. */
export function parseDeviceScope(token: string): DeviceScope | null {
  if (token.startsWith(MATRIX_DEVICE_PREFIX)) {
    return { form: 'stable', deviceId: token.slice(MATRIX_DEVICE_PREFIX.length) };
  }
  if (token.startsWith(MATRIX_DEVICE_PREFIX_UNSTABLE)) {
    return { form: 'unstable', deviceId: token.slice(MATRIX_DEVICE_PREFIX_UNSTABLE.length) };
  }
  return null;
}

/**
 * The device a granted scope names, whichever form, or null. A session's scope passed the grant
 * policy, so it names at most one; the first is taken otherwise.
 */
export function deviceIdOfScope(scope: string | readonly string[]): string | null {
  const tokens = typeof scope === 'string' ? scope.split(' ') : scope;
  for (const token of tokens) {
    const device = parseDeviceScope(token);
    if (device !== null) return device.deviceId;
  }
  return null;
}
