// Policy data set through the Admin API reaches every `gatehouse server`: two real server
// processes on one PostgreSQL database; a version posted to one lets a client ask the other for
// `urn:mas:admin` within the database notification's latency — long before the 30-second reload,
// so only the notification (and the server's wiring of the merged data) can explain it.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { createTestDatabase } from '../helpers/postgres.ts';
import {
  runGatehouse,
  waitForStatus,
  writeTestConfig,
  type RunningProcess,
  type TestConfig,
} from '../helpers/server-process.ts';

const ADMIN_TOOL = '01J0000000000000000000ADMN';
const BACKUP_TOOL = '01J000000000000000000BACKP';
const SECRET = 'e2e-policy-data-client-secret-0123456789';

interface Node {
  readonly config: TestConfig;
  readonly server: RunningProcess;
  url(path: string): string;
}

async function startNode(database: string): Promise<Node> {
  const config = await writeTestConfig({ database });
  const doc = parse(readFileSync(config.path, 'utf8')) as {
    http: { listeners: { name: string; resources: { name: string }[] }[] };
    [section: string]: unknown;
  };
  doc.http.listeners.find((l) => l.name === 'web')!.resources.push({ name: 'adminapi' });
  doc.clients = [ADMIN_TOOL, BACKUP_TOOL].map((client_id) => ({
    client_id,
    client_auth_method: 'client_secret_post',
    client_secret: SECRET,
  }));
  doc.policy = { data: { admin_clients: [ADMIN_TOOL] } };
  writeFileSync(config.path, stringify(doc));
  const migrate = runGatehouse(['-c', config.path, 'database', 'migrate']);
  assert.equal(await migrate.exited, 0, migrate.output());
  const server = runGatehouse(['-c', config.path, 'server']);
  const url = (path: string) => `http://127.0.0.1:${config.webPort}${path}`;
  try {
    await waitForStatus(url('/.well-known/openid-configuration'), 200, 30_000);
  } catch (error) {
    server.child.kill('SIGKILL');
    config.cleanup();
    throw new Error(`${(error as Error).message}\n${server.output()}`, { cause: error });
  }
  return { config, server, url };
}

async function stopNode(node: Node | undefined): Promise<void> {
  if (node === undefined) return;
  node.server.child.kill('SIGTERM');
  await node.server.exited;
  node.config.cleanup();
}

/** A client_credentials request for `urn:mas:admin`: the response. */
function adminToken(node: Node, clientId: string): Promise<Response> {
  return fetch(node.url('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: SECRET,
      scope: 'urn:mas:admin',
    }).toString(),
  });
}

describe('policy data across two server processes (PostgreSQL)', () => {
  let a: Node | undefined;
  let b: Node | undefined;
  before(async () => {
    const database = await createTestDatabase('policydata');
    a = await startNode(database);
    b = await startNode(database);
  });
  after(async () => {
    await Promise.all([stopNode(a), stopNode(b)]);
  });

  it('a version posted to one node is in force on the other at once', async () => {
    const token = await adminToken(a!, ADMIN_TOOL);
    assert.equal(token.status, 200, await token.clone().text());
    const bearer = ((await token.json()) as { access_token: string }).access_token;
    assert.notEqual((await adminToken(b!, BACKUP_TOOL)).status, 200);

    const posted = await fetch(a!.url('/api/admin/v1/policy-data'), {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { admin_clients: [BACKUP_TOOL] } }),
    });
    assert.equal(posted.status, 201, await posted.clone().text());
    assert.equal((await adminToken(a!, BACKUP_TOOL)).status, 200, 'in force where posted');

    // The periodic reload is 30 s away: allow a few seconds for the notification.
    const started = performance.now();
    let status = 0;
    while (performance.now() - started < 5000) {
      status = (await adminToken(b!, BACKUP_TOOL)).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 200, 'in force on the other node');
    assert.equal((await adminToken(b!, ADMIN_TOOL)).status, 200, 'the configured client keeps it');
  });
});
