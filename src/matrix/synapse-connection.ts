// Synapse's API for its authentication service, `/_synapse/mas/*` (Synapse ≥ 1.135; MAS
// `crates/matrix-synapse/src/modern.rs`). Bodies and statuses as Synapse's
// `synapse/rest/synapse/mas/{users,devices}.py` define them: JSON in, JSON out; an unknown user is
// 404 `M_NOT_FOUND`; a bad body 400.

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
} from './homeserver-http.ts';

/** `is_localpart_available` errcodes meaning "taken or not allowed" rather than a failure. */
const UNAVAILABLE = new Set(['M_USER_IN_USE', 'M_INVALID_USERNAME', 'M_EXCLUSIVE']);

const is2xx = (response: HomeserverResponse): boolean =>
  response.status >= 200 && response.status < 300;

export class SynapseConnection implements HomeserverConnection {
  readonly homeserver: string;
  readonly #http: HomeserverHttp;

  constructor(homeserver: string, http: HomeserverHttp | HomeserverHttpOptions) {
    this.homeserver = homeserver;
    this.#http = http instanceof HomeserverHttp ? http : new HomeserverHttp(http);
  }

  mxid(localpart: string): string {
    return `@${localpart}:${this.homeserver}`;
  }

  async queryUser(localpart: string): Promise<HomeserverUser | null> {
    const operation = 'query_user';
    const response = await this.#http.request(operation, 'GET', '_synapse/mas/query_user', {
      query: { localpart },
    });
    if (response.status === 404) return null;
    if (response.status !== 200) throw unexpectedStatus(operation, response);
    const body = response.body as Record<string, unknown> | null;
    if (body === null || typeof body !== 'object') {
      throw new HomeserverError('invalid-response', operation, 'the answer is not a JSON object');
    }
    return {
      displayName: typeof body.display_name === 'string' ? body.display_name : null,
      avatarUrl: typeof body.avatar_url === 'string' ? body.avatar_url : null,
      deactivated: body.is_deactivated === true,
    };
  }

  async isLocalpartAvailable(localpart: string): Promise<boolean> {
    const operation = 'is_localpart_available';
    const response = await this.#http.request(
      operation,
      'GET',
      '_synapse/mas/is_localpart_available',
      { query: { localpart } },
    );
    if (response.status === 200) return true;
    if (response.status === 400 && UNAVAILABLE.has(errcodeOf(response.body) ?? '')) return false;
    throw unexpectedStatus(operation, response);
  }

  async provisionUser(request: ProvisionRequest): Promise<boolean> {
    const body: Record<string, unknown> = { localpart: request.localpart };
    if (request.displayName === null) body.unset_displayname = true;
    else if (request.displayName !== undefined) body.set_displayname = request.displayName;
    if (request.avatarUrl === null) body.unset_avatar_url = true;
    else if (request.avatarUrl !== undefined) body.set_avatar_url = request.avatarUrl;
    if (request.emails === null) body.unset_emails = true;
    else if (request.emails !== undefined) body.set_emails = [...request.emails];
    if (request.locked !== undefined) body.locked = request.locked;
    const response = await this.#post('provision_user', body, 200, 201);
    return response.status === 201;
  }

  async upsertDevice(
    localpart: string,
    deviceId: string,
    displayName?: string | null,
  ): Promise<void> {
    const body: Record<string, unknown> = { localpart, device_id: deviceId };
    if (displayName !== undefined && displayName !== null) body.display_name = displayName;
    await this.#post('upsert_device', body, 200, 201);
  }

  async updateDeviceDisplayName(
    localpart: string,
    deviceId: string,
    displayName: string,
  ): Promise<void> {
    await this.#post('update_device_display_name', {
      localpart,
      device_id: deviceId,
      display_name: displayName,
    });
  }

  async deleteDevice(localpart: string, deviceId: string): Promise<void> {
    await this.#post('delete_device', { localpart, device_id: deviceId });
  }

  async syncDevices(localpart: string, deviceIds: ReadonlySet<string>): Promise<void> {
    await this.#post('sync_devices', { localpart, devices: [...deviceIds].sort() });
  }

  async deleteUser(localpart: string, erase: boolean): Promise<void> {
    await this.#post('delete_user', { localpart, erase });
  }

  async reactivateUser(localpart: string): Promise<void> {
    await this.#post('reactivate_user', { localpart });
  }

  async setDisplayName(localpart: string, displayName: string): Promise<void> {
    await this.#post('set_displayname', { localpart, displayname: displayName });
  }

  async unsetDisplayName(localpart: string): Promise<void> {
    await this.#post('unset_displayname', { localpart });
  }

  async allowCrossSigningReset(localpart: string): Promise<void> {
    await this.#post('allow_cross_signing_reset', { localpart });
  }

  /** POST `/_synapse/mas/<operation>`; any 2xx unless `statuses` are given. */
  async #post(
    operation: string,
    body: Record<string, unknown>,
    ...statuses: number[]
  ): Promise<HomeserverResponse> {
    const response = await this.#http.request(operation, 'POST', `_synapse/mas/${operation}`, {
      json: body,
    });
    const ok = statuses.length === 0 ? is2xx(response) : statuses.includes(response.status);
    if (!ok) throw unexpectedStatus(operation, response);
    return response;
  }
}
