import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockClock } from '../../src/clock.ts';
import { clientsSchema } from '../../src/config/sections/clients.ts';
import { asOAuth2ClientId } from '../../src/model/ids.ts';
import { decryptClientSecret } from '../../src/oauth2/client-secret.ts';
import { SeededRng } from '../../src/rng.ts';
import { ClientSyncError, syncClients } from '../../src/services/client-sync.ts';
import { openTestStorage, type TestStorage } from '../helpers/storage.ts';
import { testEncrypter } from '../oauth2/fixtures.ts';

const SYNAPSE = '0000000000000000000SYNAPSE';
const WEB = '01J00000000000000000000WEB';
const encrypter = testEncrypter();

describe('client sync', () => {
  let t: TestStorage;
  let dir: string;
  beforeEach(async () => {
    t = await openTestStorage('sqlite');
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-sync-'));
  });
  afterEach(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (clients: unknown[], options: { prune?: boolean; dryRun?: boolean } = {}) =>
    syncClients({
      clients: clientsSchema.parse(clients),
      storage: t.storage,
      clock: new MockClock(),
      rng: new SeededRng('sync'),
      encrypter,
      ...options,
    });
  const lookup = (id: string) =>
    t.storage.transaction((repos) => repos.oauth2Clients.lookup(asOAuth2ClientId(id)));

  const synapse = {
    client_id: SYNAPSE,
    client_auth_method: 'client_secret_basic',
    client_secret: 'hunter2',
  };
  const web = {
    client_id: WEB.toLowerCase(),
    client_auth_method: 'none',
    redirect_uris: ['https://web.example.com/cb'],
    client_name: 'Web',
  };

  it('adds static clients with all grant types and the secret encrypted', async () => {
    const report = await run([synapse, web]);
    assert.deepEqual(report, { added: [SYNAPSE, WEB], updated: [], unchanged: [], removed: [] });
    const stored = await lookup(SYNAPSE);
    assert.equal(stored?.isStatic, true);
    assert.equal(stored?.grantTypes.length, 4);
    assert.notEqual(stored?.encryptedClientSecret, 'hunter2');
    assert.equal(
      decryptClientSecret(encrypter, stored!.id, stored!.encryptedClientSecret!),
      'hunter2',
    );
    assert.equal((await lookup(WEB))?.clientName, 'Web');
  });

  it('reports unchanged clients and updates changed ones, secrets included', async () => {
    await run([synapse, web]);
    const before = (await lookup(SYNAPSE))!.encryptedClientSecret;
    assert.deepEqual(await run([synapse, web]), {
      added: [],
      updated: [],
      unchanged: [SYNAPSE, WEB],
      removed: [],
    });
    assert.equal(
      (await lookup(SYNAPSE))!.encryptedClientSecret,
      before,
      'an unchanged secret is not rewritten',
    );

    const report = await run([
      { ...synapse, client_secret: 'new secret' },
      { ...web, redirect_uris: ['https://web.example.com/2'] },
    ]);
    assert.deepEqual(report.updated, [SYNAPSE, WEB]);
    const stored = await lookup(SYNAPSE);
    assert.equal(
      decryptClientSecret(encrypter, stored!.id, stored!.encryptedClientSecret!),
      'new secret',
    );
    assert.deepEqual((await lookup(WEB))?.redirectUris, ['https://web.example.com/2']);
  });

  it('reads client_secret_file, and fails on a missing one before writing anything', async () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'from-file\n');
    await run([
      { client_id: SYNAPSE, client_auth_method: 'client_secret_post', client_secret_file: file },
    ]);
    const stored = await lookup(SYNAPSE);
    assert.equal(
      decryptClientSecret(encrypter, stored!.id, stored!.encryptedClientSecret!),
      'from-file',
    );
    await assert.rejects(
      run([
        web,
        {
          client_id: SYNAPSE,
          client_auth_method: 'client_secret_post',
          client_secret_file: join(dir, 'missing'),
        },
      ]),
      ClientSyncError,
    );
    assert.equal(await lookup(WEB), null);
  });

  it('prunes static clients no longer configured only with prune, leaving dynamic ones', async () => {
    await run([synapse, web]);
    const dynamic = asOAuth2ClientId('01J0000000000000000DYNAM1C');
    await t.storage.transaction(async (repos) => {
      const existing = (await repos.oauth2Clients.lookup(asOAuth2ClientId(WEB)))!;
      const { id: _id, isStatic: _s, createdAt: _c, ...fields } = existing;
      await repos.oauth2Clients.addDynamic(new MockClock(), dynamic, fields);
    });
    assert.deepEqual((await run([synapse])).removed, []);
    assert.notEqual(await lookup(WEB), null);
    assert.deepEqual((await run([synapse], { prune: true })).removed, [WEB]);
    assert.equal(await lookup(WEB), null);
    assert.notEqual(await lookup(dynamic), null);
  });

  it('refuses a static client whose id belongs to a dynamic client, naming it, and writes nothing', async () => {
    await run([web]);
    const dynamic = '01J0000000000000000DYNAM1C';
    await t.storage.transaction(async (repos) => {
      const existing = (await repos.oauth2Clients.lookup(asOAuth2ClientId(WEB)))!;
      const { id: _id, isStatic: _s, createdAt: _c, ...fields } = existing;
      await repos.oauth2Clients.addDynamic(new MockClock(), asOAuth2ClientId(dynamic), fields);
    });
    for (const dryRun of [false, true]) {
      await assert.rejects(
        run([synapse, { ...synapse, client_id: dynamic }], { dryRun }),
        (error: Error) => {
          assert.equal(error.name, 'ClientSyncError');
          assert.match(error.message, new RegExp(`client ${dynamic}: .*dynamically registered`));
          return true;
        },
      );
    }
    assert.equal(await lookup(SYNAPSE), null, 'the whole sync rolled back');
    assert.equal((await lookup(dynamic))?.isStatic, false);
  });

  it('only reports in a dry run', async () => {
    await run([synapse, web]);
    const report = await run(
      [
        { ...synapse, client_name: 'Synapse' },
        { ...web, client_id: '01J0000000000000000000NEW1' },
      ],
      {
        dryRun: true,
        prune: true,
      },
    );
    assert.deepEqual(report, {
      added: ['01J0000000000000000000NEW1'],
      updated: [SYNAPSE],
      unchanged: [],
      removed: [WEB],
    });
    assert.equal((await lookup(SYNAPSE))?.clientName, null);
    assert.notEqual(await lookup(WEB), null);
    assert.equal(await lookup('01J0000000000000000000NEW1'), null);
  });
});
