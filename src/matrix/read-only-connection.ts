// matrix.kind `synapse_read_only` (MAS `crates/matrix/src/readonly.rs`): reads go to the
// homeserver, writes are skipped and logged. For trying Gatehouse next to a homeserver that
// something else still manages: nothing on it changes.

import type {
  HomeserverConnection,
  HomeserverUser,
  ProvisionRequest,
} from './homeserver-connection.ts';

/** Where skipped writes are reported; the CLI passes its logger's `info`. */
export type SkippedWriteLog = (message: string, fields: Record<string, unknown>) => void;

export class ReadOnlyConnection implements HomeserverConnection {
  readonly #inner: HomeserverConnection;
  readonly #log: SkippedWriteLog;

  constructor(inner: HomeserverConnection, log: SkippedWriteLog) {
    this.#inner = inner;
    this.#log = log;
  }

  get homeserver(): string {
    return this.#inner.homeserver;
  }

  mxid(localpart: string): string {
    return this.#inner.mxid(localpart);
  }

  queryUser(localpart: string): Promise<HomeserverUser | null> {
    return this.#inner.queryUser(localpart);
  }

  isLocalpartAvailable(localpart: string): Promise<boolean> {
    return this.#inner.isLocalpartAvailable(localpart);
  }

  async provisionUser(request: ProvisionRequest): Promise<boolean> {
    this.#skip('provision_user', { localpart: request.localpart });
    return false;
  }

  async upsertDevice(
    localpart: string,
    deviceId: string,
    _displayName?: string | null,
  ): Promise<void> {
    this.#skip('upsert_device', { localpart, deviceId });
  }

  async updateDeviceDisplayName(
    localpart: string,
    deviceId: string,
    _displayName?: string,
  ): Promise<void> {
    this.#skip('update_device_display_name', { localpart, deviceId });
  }

  async deleteDevice(localpart: string, deviceId: string): Promise<void> {
    this.#skip('delete_device', { localpart, deviceId });
  }

  async syncDevices(localpart: string, deviceIds: ReadonlySet<string>): Promise<void> {
    this.#skip('sync_devices', { localpart, devices: deviceIds.size });
  }

  async deleteUser(localpart: string, erase: boolean): Promise<void> {
    this.#skip('delete_user', { localpart, erase });
  }

  async reactivateUser(localpart: string): Promise<void> {
    this.#skip('reactivate_user', { localpart });
  }

  async setDisplayName(localpart: string, _displayName?: string): Promise<void> {
    this.#skip('set_displayname', { localpart });
  }

  async unsetDisplayName(localpart: string): Promise<void> {
    this.#skip('unset_displayname', { localpart });
  }

  async allowCrossSigningReset(localpart: string): Promise<void> {
    this.#skip('allow_cross_signing_reset', { localpart });
  }

  #skip(operation: string, fields: Record<string, unknown>): void {
    this.#log(`read-only homeserver: skipped ${operation}`, { operation, ...fields });
  }
}
