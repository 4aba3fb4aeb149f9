import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { runConfigCli, tempDir } from '../config/cli-harness.ts';
import { openTestStorage, type TestStorage } from '../helpers/storage.ts';

const SYNAPSE = '0000000000000000000SYNAPSE';

describe('gatehouse config sync', () => {
  let t: TestStorage;
  beforeEach(async () => {
    t = await openTestStorage('sqlite');
  });
  afterEach(() => t.cleanup());

  function writeConfig(dir: string, clients: unknown[]): void {
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    writeFileSync(
      join(dir, 'config.yaml'),
      stringify({
        database: { uri: t.uri },
        secrets: { encryption: '07'.repeat(32), keys: [{ kid: 'rsa', key: key.toString() }] },
        clients,
      }),
    );
  }

  it('adds, reports unchanged, dry-runs and prunes', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const client = {
        client_id: SYNAPSE,
        client_auth_method: 'client_secret_basic',
        client_secret: 's',
      };
      writeConfig(dir, [client]);
      const added = await runConfigCli(['config', 'sync'], { cwd: dir });
      assert.equal(added.code, 0, added.err);
      assert.match(added.out, new RegExp(`added client ${SYNAPSE}`));
      assert.match(added.out, /1 added, 0 updated, 0 unchanged, 0 removed/);

      const again = await runConfigCli(['config', 'sync'], { cwd: dir });
      assert.match(again.out, /0 added, 0 updated, 1 unchanged, 0 removed/);

      writeConfig(dir, []);
      const dry = await runConfigCli(['config', 'sync', '--prune', '--dry-run'], { cwd: dir });
      assert.match(dry.out, new RegExp(`would remove client ${SYNAPSE}`));
      const stillThere = await t.storage.transaction((repos) => repos.oauth2Clients.listStatic());
      assert.equal(stillThere.length, 1);

      const pruned = await runConfigCli(['config', 'sync', '--prune'], { cwd: dir });
      assert.match(pruned.out, new RegExp(`removed client ${SYNAPSE}`));
      assert.deepEqual(
        await t.storage.transaction((repos) => repos.oauth2Clients.listStatic()),
        [],
      );
    } finally {
      cleanup();
    }
  });
});
