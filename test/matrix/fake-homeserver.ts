// A tiny stand-in for Synapse's `/_synapse/mas/*` API on 127.0.0.1 (an outside system, so faking
// it is allowed; the real Synapse runs in test/synapse/). It keeps users and devices in memory,
// records every call, checks `Authorization: Bearer <secret>` as Synapse does (403 otherwise),
// and can be told to fail (`failNext`) or to hang (`hang`).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: Record<string, unknown> | null;
  readonly authorization: string | undefined;
}

export interface FakeUser {
  displayName: string | null;
  emails: string[];
  locked: boolean;
  deactivated: boolean;
  devices: Map<string, string | null>;
}

export class FakeHomeserver {
  readonly secret: string;
  readonly calls: RecordedCall[] = [];
  readonly users = new Map<string, FakeUser>();
  /** The next calls answer with this status and a Matrix error (one per entry). */
  readonly failNext: number[] = [];
  /** When true, requests are never answered (to test timeouts). */
  hang = false;
  #server: Server | null = null;
  #port = 0;

  constructor(secret = 'hs-secret') {
    this.secret = secret;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}/`;
  }

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      void this.#handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  callsTo(operation: string): RecordedCall[] {
    return this.calls.filter((call) => call.path === `/_synapse/mas/${operation}`);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://x');
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
    this.calls.push({
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      authorization: request.headers.authorization,
    });
    if (this.hang) return;
    const send = (status: number, json?: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(json === undefined ? '' : JSON.stringify(json));
    };
    if (request.headers.authorization !== `Bearer ${this.secret}`) {
      send(403, { errcode: 'M_FORBIDDEN', error: 'This endpoint must only be called by MAS' });
      return;
    }
    const failure = this.failNext.shift();
    if (failure !== undefined) {
      send(failure, { errcode: 'M_UNKNOWN', error: 'injected failure' });
      return;
    }
    const operation = url.pathname.replace(/^\/_synapse\/mas\//, '');
    const localpart = String(body?.localpart ?? url.searchParams.get('localpart') ?? '');
    const user = this.users.get(localpart);
    const notFound = () => send(404, { errcode: 'M_NOT_FOUND', error: 'User not found' });
    switch (operation) {
      case 'query_user':
        if (user === undefined) return notFound();
        return send(200, {
          user_id: `@${localpart}:example.test`,
          display_name: user.displayName,
          avatar_url: null,
          is_suspended: false,
          is_deactivated: user.deactivated,
        });
      case 'is_localpart_available':
        return user === undefined
          ? send(200, {})
          : send(400, { errcode: 'M_USER_IN_USE', error: 'taken' });
      case 'provision_user': {
        const created = user === undefined;
        const target: FakeUser = user ?? {
          displayName: null,
          emails: [],
          locked: false,
          deactivated: false,
          devices: new Map(),
        };
        if (typeof body?.set_displayname === 'string') target.displayName = body.set_displayname;
        if (body?.unset_displayname === true) target.displayName = null;
        if (Array.isArray(body?.set_emails)) target.emails = body.set_emails as string[];
        if (typeof body?.locked === 'boolean') target.locked = body.locked;
        this.users.set(localpart, target);
        return send(created ? 201 : 200, {});
      }
      case 'upsert_device': {
        if (user === undefined) return notFound();
        const id = String(body?.device_id);
        const created = !user.devices.has(id);
        user.devices.set(id, (body?.display_name as string | undefined) ?? null);
        return send(created ? 201 : 200, {});
      }
      case 'delete_device':
        if (user === undefined) return notFound();
        user.devices.delete(String(body?.device_id));
        return send(204);
      case 'update_device_display_name':
        if (user === undefined) return notFound();
        user.devices.set(String(body?.device_id), String(body?.display_name));
        return send(200, {});
      case 'sync_devices': {
        if (user === undefined) return notFound();
        const wanted = new Set(body?.devices as string[]);
        for (const id of [...user.devices.keys()]) if (!wanted.has(id)) user.devices.delete(id);
        for (const id of wanted) if (!user.devices.has(id)) user.devices.set(id, null);
        return send(200, {});
      }
      case 'delete_user':
        if (user === undefined) return notFound();
        user.deactivated = true;
        user.devices.clear();
        return send(200, {});
      case 'reactivate_user':
        if (user === undefined) return notFound();
        user.deactivated = false;
        return send(200, {});
      case 'set_displayname':
        if (user === undefined) return notFound();
        user.displayName = String(body?.displayname);
        return send(200, {});
      case 'unset_displayname':
        if (user === undefined) return notFound();
        user.displayName = null;
        return send(200, {});
      case 'allow_cross_signing_reset':
        if (user === undefined) return notFound();
        return send(200, {});
      default:
        return send(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
    }
  }

  /** Adds a user as if provisioned. */
  addUser(localpart: string): FakeUser {
    const user: FakeUser = {
      displayName: null,
      emails: [],
      locked: false,
      deactivated: false,
      devices: new Map(),
    };
    this.users.set(localpart, user);
    return user;
  }
}
