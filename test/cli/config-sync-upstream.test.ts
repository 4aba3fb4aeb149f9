// `gatehouse config sync` with upstream providers: added, disabled when removed, deleted with
// --prune, and a dry run that writes nothing.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { runConfigCli, tempDir } from '../config/cli-harness.ts';
import { openTestStorage, type TestStorage } from '../helpers/storage.ts';

const PROVIDER = '01HFVBY12TMNTYTBV8W921M5FA';

describe('gatehouse config sync (upstream providers)', () => {
  let t: TestStorage;
  let dir: string;
  let cleanup: () => void;
  beforeEach(async () => {
    t = await openTestStorage('sqlite');
    ({ dir, cleanup } = tempDir());
  });
  afterEach(async () => {
    cleanup();
    await t.cleanup();
  });

  const key = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

  function writeConfig(providers: unknown[]): void {
    writeFileSync(
      join(dir, 'config.yaml'),
      stringify({
        database: { uri: t.uri },
        secrets: { encryption: '07'.repeat(32), keys: [{ kid: 'rsa', key }] },
        upstream_oauth2: { providers },
      }),
    );
  }
  const providers = () => t.storage.transaction((repos) => repos.upstreamOAuthProviders.all());

  it('adds, disables when removed, dry-runs and prunes', async () => {
    writeConfig([
      {
        id: PROVIDER,
        issuer: 'https://idp.example.com/',
        client_id: 'c',
        client_secret: 's',
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ]);
    const added = await runConfigCli(['config', 'sync'], { cwd: dir });
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, new RegExp(`added upstream provider ${PROVIDER}`));
    assert.match(
      added.out,
      /upstream providers: 1 added, 0 updated, 0 unchanged, 0 disabled, 0 removed/,
    );

    writeConfig([]);
    const dry = await runConfigCli(['config', 'sync', '--dry-run'], { cwd: dir });
    assert.match(dry.out, new RegExp(`would disable upstream provider ${PROVIDER}`));
    assert.equal((await providers())[0]?.disabledAt, null);

    const disabled = await runConfigCli(['config', 'sync'], { cwd: dir });
    assert.match(disabled.out, new RegExp(`disabled upstream provider ${PROVIDER}`));
    assert.notEqual((await providers())[0]?.disabledAt, null);

    const pruned = await runConfigCli(['config', 'sync', '--prune'], { cwd: dir });
    assert.match(pruned.out, new RegExp(`removed upstream provider ${PROVIDER} and its links`));
    assert.deepEqual(await providers(), []);
  });

  it('refuses a bad claim template with its YAML path, before touching the database', async () => {
    writeConfig([
      {
        id: PROVIDER,
        issuer: 'https://idp.example.com/',
        client_id: 'c',
        token_endpoint_auth_method: 'none',
        claims_imports: { localpart: { action: 'require', template: '{{ user.x | bogus }}' } },
      },
    ]);
    const result = await runConfigCli(['config', 'sync'], { cwd: dir });
    assert.equal(result.code, 1);
    assert.match(
      result.err,
      /upstream_oauth2\.providers\[0\]\.claims_imports\.localpart\.template: invalid template: line 1, column 13: unknown filter `bogus`/,
    );
    assert.deepEqual(await providers(), []);
  });
});
