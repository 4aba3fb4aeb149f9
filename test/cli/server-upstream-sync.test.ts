// `gatehouse server` syncs the upstream providers of the configuration on start, and refuses to
// start with a bad claim template (a real process on a config made by `config generate`).

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import {
  runGatehouse,
  waitForStatus,
  testConfigs,
  type TestConfig,
} from '../helpers/server-process.ts';

const newConfig = testConfigs();

const PROVIDER = '01HFVBY12TMNTYTBV8W921M5FA';

function withProvider(config: TestConfig, provider: Record<string, unknown>): string {
  const document = parse(readFileSync(config.path, 'utf8')) as Record<string, unknown>;
  document.upstream_oauth2 = { providers: [provider] };
  writeFileSync(config.path, stringify(document));
  return (document.database as { uri: string }).uri.slice('sqlite:'.length);
}

const provider = {
  id: PROVIDER,
  human_name: 'Example IdP',
  issuer: 'https://idp.example.com/',
  client_id: 'gatehouse',
  client_secret: 'very-secret',
  token_endpoint_auth_method: 'client_secret_basic',
};

test('the server syncs upstream providers on start, secrets encrypted', async () => {
  const config = await newConfig();
  const dbPath = withProvider(config, provider);
  const server = runGatehouse(['server', '-c', config.path, '--no-worker']);
  try {
    await waitForStatus(`http://127.0.0.1:${config.internalPort}/health/ready`, 200);
  } finally {
    server.child.kill('SIGTERM');
  }
  assert.equal(await server.exited, 0);
  assert.match(server.output(), /synced upstream providers/);
  const db = new DatabaseSync(dbPath);
  try {
    const rows = db
      .prepare(
        'SELECT id, human_name, encrypted_client_secret, disabled_at FROM upstream_oauth_providers',
      )
      .all() as {
      id: string;
      human_name: string;
      encrypted_client_secret: string;
      disabled_at: null;
    }[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.id, PROVIDER);
    assert.equal(rows[0]!.human_name, 'Example IdP');
    assert.equal(rows[0]!.disabled_at, null);
    assert.ok(rows[0]!.encrypted_client_secret.length > 0);
    assert.doesNotMatch(rows[0]!.encrypted_client_secret, /very-secret/);
  } finally {
    db.close();
  }
});

test('the server refuses to start with a bad claim template, naming its YAML path', async () => {
  const config = await newConfig();
  withProvider(config, {
    ...provider,
    claims_imports: { displayname: { action: 'suggest', template: '{{ user.name | nope }}' } },
  });
  const server = runGatehouse(['server', '-c', config.path, '--no-worker']);
  assert.equal(await server.exited, 1);
  assert.match(
    server.output(),
    /upstream_oauth2\.providers\[0\]\.claims_imports\.displayname\.template: invalid template: line 1, column 16: unknown filter `nope`/,
  );
  assert.doesNotMatch(server.output(), /\n\s+at /);
});
