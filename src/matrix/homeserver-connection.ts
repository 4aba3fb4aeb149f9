// What Gatehouse asks of the Matrix homeserver (MAS: `crates/matrix/src/lib.rs`), whatever API the
// homeserver speaks. Implementations:
// - ./synapse-connection.ts: Synapse's `/_synapse/mas/*` API (matrix.kind `synapse`, `synapse_modern`);
// - ./synapse-legacy-connection.ts: the Synapse admin API (matrix.kind `synapse_legacy`);
// - ./read-only-connection.ts: reads through another connection, writes nothing (`synapse_read_only`).
// ./connection-factory.ts picks one from the `matrix` config section.
//
// To add a homeserver flavour: implement `HomeserverConnection` in ./<flavour>-connection.ts on top
// of ./homeserver-http.ts (timeouts, `Authorization: Bearer <secret>`, typed errors), and add its
// `matrix.kind` to the factory.
//
// Every method throws `HomeserverError` (./homeserver-error.ts) and nothing else: callers turn it
// into a clear message (a token error, a retried job, a CLI line), never a crash.

/** The homeserver's view of a user (`query_user`). */
export interface HomeserverUser {
  readonly displayName: string | null;
  readonly avatarUrl: string | null;
  readonly deactivated: boolean;
}

/**
 * What to push to the homeserver about a user (`provision_user`). A field left undefined is left
 * alone on the homeserver; `null` clears it.
 */
export interface ProvisionRequest {
  readonly localpart: string;
  /** The user's Gatehouse id (ULID); the legacy admin API records it as the external id. */
  readonly subject: string;
  readonly displayName?: string | null;
  readonly avatarUrl?: string | null;
  readonly emails?: readonly string[] | null;
  readonly locked?: boolean;
}

export interface HomeserverConnection {
  /** The server name: user ids are `@localpart:<homeserver>`. */
  readonly homeserver: string;
  /** `@localpart:homeserver`. */
  mxid(localpart: string): string;

  /** Null when the homeserver does not know the user. */
  queryUser(localpart: string): Promise<HomeserverUser | null>;
  /** False when the localpart is taken, invalid or reserved (an application service namespace). */
  isLocalpartAvailable(localpart: string): Promise<boolean>;
  /** Creates or updates the user; true when it was created. */
  provisionUser(request: ProvisionRequest): Promise<boolean>;

  /** Creates the device, or renames it when it exists (idempotent). */
  upsertDevice(localpart: string, deviceId: string, displayName?: string | null): Promise<void>;
  updateDeviceDisplayName(localpart: string, deviceId: string, displayName: string): Promise<void>;
  deleteDevice(localpart: string, deviceId: string): Promise<void>;
  /** Makes the user's devices exactly `deviceIds`: missing ones are created, others deleted. */
  syncDevices(localpart: string, deviceIds: ReadonlySet<string>): Promise<void>;

  /** Deactivates the user (all devices and tokens go); `erase` also erases their data (GDPR). */
  deleteUser(localpart: string, erase: boolean): Promise<void>;
  reactivateUser(localpart: string): Promise<void>;
  setDisplayName(localpart: string, displayName: string): Promise<void>;
  unsetDisplayName(localpart: string): Promise<void>;
  /** Lets the user replace their cross-signing keys without interactive auth for a while. */
  allowCrossSigningReset(localpart: string): Promise<void>;
}
