// Revocation is honoured at once by the introspection cache: real server processes, a token the
// homeserver has just introspected (so it is cached), revoked through /oauth2/revoke, then
// introspected again — on the same node (SQLite: at once), and on another node sharing one
// PostgreSQL database (the invalidation travels by LISTEN/NOTIFY, so within its latency).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { createTestDatabase } from '../helpers/postgres.ts';
import { activeForHomeserverAt } from '../helpers/server-process.ts';
import { STATIC_CLIENTS, STATIC_CLIENT_SECRET, startGatehouse, type Gatehouse } from './harness.ts';

const BASIC = `Basic ${Buffer.from(
  `${STATIC_CLIENTS.client_secret_basic}:${STATIC_CLIENT_SECRET}`,
).toString('base64')}`;

function homeserverSecret(node: Gatehouse): string {
  return (parse(readFileSync(node.config.path, 'utf8')) as { matrix: { secret: string } }).matrix
    .secret;
}

async function clientCredentialsToken(node: Gatehouse): Promise<string> {
  const response = await fetch(node.url('/oauth2/token'), {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Introspects as Synapse does; returns `active`. */
const introspect = (node: Gatehouse, secret: string, token: string): Promise<boolean> =>
  activeForHomeserverAt(node.url('/oauth2/introspect'), secret, token);

async function revoke(node: Gatehouse, token: string): Promise<void> {
  const response = await fetch(node.url('/oauth2/revoke'), {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  assert.equal(response.status, 200);
}

describe('introspection cache and revocation (SQLite, one node)', () => {
  let node: Gatehouse;
  before(async () => {
    node = await startGatehouse({ users: [] });
  });
  after(async () => {
    await node.stop();
  });

  it('a cached active token is inactive right after its revocation', async () => {
    const secret = homeserverSecret(node);
    const token = await clientCredentialsToken(node);
    const other = await clientCredentialsToken(node);
    assert.equal(await introspect(node, secret, token), true);
    assert.equal(await introspect(node, secret, token), true, 'answered again (from the cache)');
    assert.equal(await introspect(node, secret, other), true);
    await revoke(node, token);
    assert.equal(await introspect(node, secret, token), false);
    assert.equal(await introspect(node, secret, other), true, 'other sessions stay active');
  });
});

describe('introspection cache and revocation (PostgreSQL, two nodes)', () => {
  let a: Gatehouse;
  let b: Gatehouse;
  before(async () => {
    const database = await createTestDatabase('introcache');
    a = await startGatehouse({ users: [], database });
    b = await startGatehouse({ users: [], database });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('a revocation on one node makes the token inactive on the other within NOTIFY latency', async () => {
    const token = await clientCredentialsToken(a);
    assert.equal(await introspect(a, homeserverSecret(a), token), true);
    assert.equal(await introspect(b, homeserverSecret(b), token), true);
    assert.equal(await introspect(b, homeserverSecret(b), token), true);
    await revoke(a, token);
    // NOTIFY reaches the other node asynchronously (milliseconds; more on a loaded machine): allow
    // one second, far below the cache TTL (5 s), so only the broadcast can explain the change.
    const started = performance.now();
    while (
      (await introspect(b, homeserverSecret(b), token)) &&
      performance.now() - started < 1000
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(await introspect(b, homeserverSecret(b), token), false);
    assert.equal(await introspect(a, homeserverSecret(a), token), false);
  });
});
