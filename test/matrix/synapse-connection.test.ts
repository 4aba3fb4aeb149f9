import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { homeserverConnection } from '../../src/matrix/connection-factory.ts';
import { deviceDisplayName } from '../../src/matrix/device-name.ts';
import { HomeserverError } from '../../src/matrix/homeserver-error.ts';
import { ReadOnlyConnection } from '../../src/matrix/read-only-connection.ts';
import { SynapseConnection } from '../../src/matrix/synapse-connection.ts';
import { SynapseLegacyConnection } from '../../src/matrix/synapse-legacy-connection.ts';
import { FakeHomeserver } from './fake-homeserver.ts';

describe('SynapseConnection (/_synapse/mas/*)', () => {
  let hs: FakeHomeserver;
  let conn: SynapseConnection;
  before(async () => {
    hs = await new FakeHomeserver('s3cret').start();
    conn = new SynapseConnection('example.test', { endpoint: hs.endpoint, secret: 's3cret' });
  });
  after(() => hs.stop());

  it('provisions a user (201 created, then 200 updated) with the exact body', async () => {
    assert.equal(
      await conn.provisionUser({
        localpart: 'alice',
        subject: '01H',
        displayName: 'Alice',
        emails: ['a@example.test'],
        locked: false,
      }),
      true,
    );
    const call = hs.callsTo('provision_user').at(-1)!;
    assert.equal(call.method, 'POST');
    assert.equal(call.authorization, 'Bearer s3cret');
    assert.deepEqual(call.body, {
      localpart: 'alice',
      set_displayname: 'Alice',
      set_emails: ['a@example.test'],
      locked: false,
    });
    assert.equal(
      await conn.provisionUser({ localpart: 'alice', subject: '01H', displayName: null }),
      false,
    );
    assert.deepEqual(hs.callsTo('provision_user').at(-1)!.body, {
      localpart: 'alice',
      unset_displayname: true,
    });
  });

  it('queries users (null when unknown) and localpart availability', async () => {
    assert.deepEqual(await conn.queryUser('alice'), {
      displayName: null,
      avatarUrl: null,
      deactivated: false,
    });
    assert.equal(await conn.queryUser('nobody'), null);
    assert.equal(hs.callsTo('query_user').at(-1)!.query.localpart, 'nobody');
    assert.equal(await conn.isLocalpartAvailable('alice'), false);
    assert.equal(await conn.isLocalpartAvailable('bob'), true);
  });

  it('creates, renames, syncs and deletes devices', async () => {
    await conn.upsertDevice('alice', 'DEVICE0001', 'App on Firefox');
    assert.deepEqual(hs.callsTo('upsert_device').at(-1)!.body, {
      localpart: 'alice',
      device_id: 'DEVICE0001',
      display_name: 'App on Firefox',
    });
    await conn.upsertDevice('alice', 'DEVICE0001', 'again'); // 200 when it exists
    await conn.updateDeviceDisplayName('alice', 'DEVICE0001', 'Renamed');
    assert.equal(hs.users.get('alice')!.devices.get('DEVICE0001'), 'Renamed');
    await conn.syncDevices('alice', new Set(['DEVICE0002', 'DEVICE0003']));
    assert.deepEqual(hs.callsTo('sync_devices').at(-1)!.body, {
      localpart: 'alice',
      devices: ['DEVICE0002', 'DEVICE0003'],
    });
    assert.deepEqual([...hs.users.get('alice')!.devices.keys()].sort(), [
      'DEVICE0002',
      'DEVICE0003',
    ]);
    await conn.deleteDevice('alice', 'DEVICE0002'); // 204
    assert.deepEqual([...hs.users.get('alice')!.devices.keys()], ['DEVICE0003']);
  });

  it('deactivates, reactivates, sets display names and allows cross-signing reset', async () => {
    await conn.setDisplayName('alice', 'Alice A.');
    assert.deepEqual(hs.callsTo('set_displayname').at(-1)!.body, {
      localpart: 'alice',
      displayname: 'Alice A.',
    });
    await conn.unsetDisplayName('alice');
    assert.equal(hs.users.get('alice')!.displayName, null);
    await conn.deleteUser('alice', true);
    assert.deepEqual(hs.callsTo('delete_user').at(-1)!.body, { localpart: 'alice', erase: true });
    assert.equal(hs.users.get('alice')!.deactivated, true);
    await conn.reactivateUser('alice');
    assert.equal(hs.users.get('alice')!.deactivated, false);
    await conn.allowCrossSigningReset('alice');
    assert.deepEqual(hs.callsTo('allow_cross_signing_reset').at(-1)!.body, { localpart: 'alice' });
  });

  it('turns errors into one-line HomeserverErrors', async () => {
    await assert.rejects(conn.upsertDevice('nobody', 'DEVICE0001'), (error: unknown) => {
      assert.ok(error instanceof HomeserverError);
      assert.equal(error.kind, 'status');
      assert.equal(error.status, 404);
      assert.equal(error.errcode, 'M_NOT_FOUND');
      assert.match(error.message, /^homeserver upsert_device: unexpected HTTP 404 \(M_NOT_FOUND/);
      return true;
    });
    const wrong = new SynapseConnection('example.test', {
      endpoint: hs.endpoint,
      secret: 'wrong',
    });
    await assert.rejects(wrong.syncDevices('alice', new Set()), /HTTP 403.*matrix\.secret/);
  });

  it('reports an unreachable homeserver and a timeout', async () => {
    const port = await freePort();
    const down = new SynapseConnection('example.test', {
      endpoint: `http://127.0.0.1:${port}/`,
      secret: 's',
    });
    await assert.rejects(
      down.upsertDevice('alice', 'DEVICE0001'),
      (error: unknown) =>
        error instanceof HomeserverError &&
        error.kind === 'unreachable' &&
        /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/.test(error.message),
    );
    hs.hang = true;
    try {
      const slow = new SynapseConnection('example.test', {
        endpoint: hs.endpoint,
        secret: 's3cret',
        timeoutMs: 200,
      });
      await assert.rejects(
        slow.queryUser('alice'),
        (error: unknown) => error instanceof HomeserverError && error.kind === 'timeout',
      );
    } finally {
      hs.hang = false;
    }
  });

  it('keeps a sub-path of the endpoint', async () => {
    const sub = new SynapseConnection('example.test', {
      endpoint: `${hs.endpoint}prefix`,
      secret: 's3cret',
    });
    await sub.queryUser('alice').catch(() => {});
    assert.equal(hs.calls.at(-1)!.path, '/prefix/_synapse/mas/query_user');
  });
});

describe('SynapseLegacyConnection (admin API)', () => {
  it('uses the admin API paths with full Matrix ids', async () => {
    const calls: { method: string; url: string; body: unknown }[] = [];
    const server = (await import('node:http')).createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString();
      calls.push({
        method: request.method!,
        url: request.url!,
        body: text ? JSON.parse(text) : null,
      });
      const devices = request.url!.endsWith('/devices') && request.method === 'GET';
      response.writeHead(request.method === 'PUT' ? 201 : 200, {
        'content-type': 'application/json',
      });
      response.end(
        JSON.stringify(devices ? { devices: [{ device_id: 'OLD' }, { device_id: 'KEEP' }] } : {}),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const conn = new SynapseLegacyConnection('example.test', {
        endpoint: `http://127.0.0.1:${port}/`,
        secret: 'admin',
      });
      assert.equal(
        await conn.provisionUser({
          localpart: 'alice',
          subject: 'SUB',
          displayName: 'A',
          locked: true,
        }),
        true,
      );
      await conn.syncDevices('alice', new Set(['KEEP', 'NEW']));
      await conn.deleteUser('alice', false);
      await conn.reactivateUser('alice');
      const mxid = encodeURIComponent('@alice:example.test');
      assert.deepEqual(
        calls.map((c) => `${c.method} ${c.url}`),
        [
          `PUT /_synapse/admin/v2/users/${mxid}`,
          `GET /_synapse/admin/v2/users/${mxid}/devices`,
          `POST /_synapse/admin/v2/users/${mxid}/delete_devices`,
          `POST /_synapse/admin/v2/users/${mxid}/devices`,
          `POST /_synapse/admin/v1/deactivate/${mxid}`,
          `PUT /_synapse/admin/v2/users/${mxid}`,
        ],
      );
      assert.deepEqual(calls[0]!.body, {
        external_ids: [{ auth_provider: 'oauth-delegated', external_id: 'SUB' }],
        displayname: 'A',
        locked: true,
      });
      assert.deepEqual(calls[2]!.body, { devices: ['OLD'] });
      assert.deepEqual(calls[3]!.body, { device_id: 'NEW' });
      assert.deepEqual(calls[5]!.body, { deactivated: false });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('connections from the config', () => {
  it('is null without a matrix section; read-only writes nothing', async () => {
    const log = () => {};
    assert.equal(homeserverConnection(undefined, { logSkippedWrite: log }), null);
    const hs = await new FakeHomeserver('k').start();
    try {
      const skipped: string[] = [];
      const conn = homeserverConnection(
        {
          kind: 'synapse_read_only',
          homeserver: 'example.test',
          endpoint: hs.endpoint,
          secret: 'k',
        },
        { logSkippedWrite: (message) => skipped.push(message) },
      );
      assert.ok(conn instanceof ReadOnlyConnection);
      hs.addUser('alice');
      await conn.upsertDevice('alice', 'DEVICE0001', 'x');
      await conn.deleteUser('alice', true);
      assert.equal(await conn.provisionUser({ localpart: 'bob', subject: 's' }), false);
      assert.notEqual(await conn.queryUser('alice'), null); // reads go through
      assert.deepEqual(
        hs.calls.map((c) => c.path),
        ['/_synapse/mas/query_user'],
      );
      assert.deepEqual(skipped, [
        'read-only homeserver: skipped upsert_device',
        'read-only homeserver: skipped delete_user',
        'read-only homeserver: skipped provision_user',
      ]);
      for (const kind of ['synapse', 'synapse_modern'] as const) {
        const modern = homeserverConnection(
          { kind, homeserver: 'h', endpoint: hs.endpoint, secret: 'k' },
          { logSkippedWrite: log },
        );
        assert.ok(modern instanceof SynapseConnection);
      }
      const legacy = homeserverConnection(
        { kind: 'synapse_legacy', homeserver: 'h', endpoint: hs.endpoint, secret: 'k' },
        { logSkippedWrite: log },
      );
      assert.ok(legacy instanceof SynapseLegacyConnection);
    } finally {
      await hs.stop();
    }
  });
});

describe('device display names', () => {
  it('names the device from the client and the User-Agent, as MAS', () => {
    assert.equal(
      deviceDisplayName(
        'Element',
        'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      ),
      'Element on Firefox for Linux',
    );
    assert.equal(
      deviceDisplayName(
        'App',
        'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36',
      ),
      'App on Pixel 8',
    );
    assert.equal(deviceDisplayName('App', null), 'App on Unknown device');
    assert.equal(deviceDisplayName('App', 'node'), 'App on Unknown device');
    assert.equal(deviceDisplayName('App', 'MyBot/1.2'), 'App on MyBot');
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
