// The Synapse admin API, for homeservers older than the `/_synapse/mas/*` API (matrix.kind
// `synapse_legacy`; MAS `crates/matrix-synapse/src/legacy.rs`). Users are addressed by full
// Matrix id; the shared secret must be an admin token Synapse accepts (MSC3861's `admin_token`).

import type {
  HomeserverConnection,
  HomeserverUser,
  ProvisionRequest,
} from './homeserver-connection.ts';
import { HomeserverError } from './homeserver-error.ts';
import {
  errcodeOf,
  HomeserverHttp,
  unexpectedStatus,
  type HomeserverHttpOptions,
  type HomeserverResponse,
  type HttpMethod,
} from './homeserver-http.ts';

/** The external id provider name MAS records on users (MSC3861 matched users by it). */
const AUTH_PROVIDER = 'oauth-delegated';
const UNAVAILABLE = new Set(['M_USER_IN_USE', 'M_INVALID_USERNAME', 'M_EXCLUSIVE']);

export class SynapseLegacyConnection implements HomeserverConnection {
  readonly homeserver: string;
  readonly #http: HomeserverHttp;

  constructor(homeserver: string, http: HomeserverHttp | HomeserverHttpOptions) {
    this.homeserver = homeserver;
    this.#http = http instanceof HomeserverHttp ? http : new HomeserverHttp(http);
  }

  mxid(localpart: string): string {
    return `@${localpart}:${this.homeserver}`;
  }

  #user(localpart: string): string {
    return `_synapse/admin/v2/users/${encodeURIComponent(this.mxid(localpart))}`;
  }

  async queryUser(localpart: string): Promise<HomeserverUser | null> {
    const operation = 'query_user';
    const response = await this.#http.request(operation, 'GET', this.#user(localpart));
    if (response.status === 404) return null;
    if (response.status !== 200) throw unexpectedStatus(operation, response);
    const body = response.body as Record<string, unknown> | null;
    if (body === null || typeof body !== 'object') {
      throw new HomeserverError('invalid-response', operation, 'the answer is not a JSON object');
    }
    return {
      displayName: typeof body.displayname === 'string' ? body.displayname : null,
      avatarUrl: typeof body.avatar_url === 'string' ? body.avatar_url : null,
      deactivated: body.deactivated === true,
    };
  }

  async isLocalpartAvailable(localpart: string): Promise<boolean> {
    const operation = 'is_localpart_available';
    const response = await this.#http.request(
      operation,
      'GET',
      '_synapse/admin/v1/username_available',
      { query: { username: localpart } },
    );
    if (response.status === 200) return true;
    if (response.status === 400 && UNAVAILABLE.has(errcodeOf(response.body) ?? '')) return false;
    throw unexpectedStatus(operation, response);
  }

  async provisionUser(request: ProvisionRequest): Promise<boolean> {
    const body: Record<string, unknown> = {
      external_ids: [{ auth_provider: AUTH_PROVIDER, external_id: request.subject }],
    };
    if (request.displayName !== undefined) body.displayname = request.displayName ?? '';
    if (request.avatarUrl !== undefined) body.avatar_url = request.avatarUrl ?? '';
    if (request.emails !== undefined) {
      body.threepids = (request.emails ?? []).map((address) => ({ medium: 'email', address }));
    }
    if (request.locked !== undefined) body.locked = request.locked;
    const response = await this.#call(
      'provision_user',
      'PUT',
      this.#user(request.localpart),
      body,
      [200, 201],
    );
    return response.status === 201;
  }

  async upsertDevice(
    localpart: string,
    deviceId: string,
    displayName?: string | null,
  ): Promise<void> {
    await this.#call('upsert_device', 'POST', `${this.#user(localpart)}/devices`, {
      device_id: deviceId,
    });
    if (displayName !== undefined && displayName !== null) {
      await this.updateDeviceDisplayName(localpart, deviceId, displayName);
    }
  }

  async updateDeviceDisplayName(
    localpart: string,
    deviceId: string,
    displayName: string,
  ): Promise<void> {
    await this.#call(
      'update_device_display_name',
      'PUT',
      `${this.#user(localpart)}/devices/${encodeURIComponent(deviceId)}`,
      { display_name: displayName },
    );
  }

  async deleteDevice(localpart: string, deviceId: string): Promise<void> {
    const operation = 'delete_device';
    const response = await this.#http.request(
      operation,
      'DELETE',
      `${this.#user(localpart)}/devices/${encodeURIComponent(deviceId)}`,
    );
    // Already gone is what was asked for.
    if (response.status === 404) return;
    if (response.status < 200 || response.status >= 300) {
      throw unexpectedStatus(operation, response);
    }
  }

  async syncDevices(localpart: string, deviceIds: ReadonlySet<string>): Promise<void> {
    const operation = 'sync_devices';
    const listed = await this.#call(operation, 'GET', `${this.#user(localpart)}/devices`);
    const devices = (listed.body as { devices?: unknown } | null)?.devices;
    if (!Array.isArray(devices)) {
      throw new HomeserverError('invalid-response', operation, 'the device list is missing');
    }
    const existing = new Set<string>();
    for (const device of devices) {
      const id = (device as { device_id?: unknown } | null)?.device_id;
      if (typeof id === 'string') existing.add(id);
    }
    const extra = [...existing].filter((id) => !deviceIds.has(id));
    if (extra.length > 0) {
      await this.#call(operation, 'POST', `${this.#user(localpart)}/delete_devices`, {
        devices: extra,
      });
    }
    for (const id of deviceIds) {
      if (!existing.has(id)) await this.upsertDevice(localpart, id);
    }
  }

  async deleteUser(localpart: string, erase: boolean): Promise<void> {
    await this.#call(
      'delete_user',
      'POST',
      `_synapse/admin/v1/deactivate/${encodeURIComponent(this.mxid(localpart))}`,
      { erase },
    );
  }

  async reactivateUser(localpart: string): Promise<void> {
    await this.#call('reactivate_user', 'PUT', this.#user(localpart), { deactivated: false });
  }

  async setDisplayName(localpart: string, displayName: string): Promise<void> {
    await this.#call(
      'set_displayname',
      'PUT',
      `_matrix/client/v3/profile/${encodeURIComponent(this.mxid(localpart))}/displayname`,
      { displayname: displayName },
    );
  }

  async unsetDisplayName(localpart: string): Promise<void> {
    await this.#call(
      'unset_displayname',
      'PUT',
      `_matrix/client/v3/profile/${encodeURIComponent(this.mxid(localpart))}/displayname`,
      { displayname: '' },
    );
  }

  async allowCrossSigningReset(localpart: string): Promise<void> {
    await this.#call(
      'allow_cross_signing_reset',
      'POST',
      `_synapse/admin/v1/users/${encodeURIComponent(this.mxid(localpart))}/_allow_cross_signing_replacement_without_uia`,
      {},
    );
  }

  /** One call; any 2xx unless `statuses` are given. */
  async #call(
    operation: string,
    method: HttpMethod,
    path: string,
    json?: unknown,
    statuses?: number[],
  ): Promise<HomeserverResponse> {
    const response = await this.#http.request(
      operation,
      method,
      path,
      json === undefined ? {} : { json },
    );
    const ok =
      statuses === undefined
        ? response.status >= 200 && response.status < 300
        : statuses.includes(response.status);
    if (!ok) throw unexpectedStatus(operation, response);
    return response;
  }
}
