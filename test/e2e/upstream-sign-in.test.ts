// End to end: a real `gatehouse server` process with an `upstream_oauth2` provider in its
// configuration (synced to the database at start), and a real oidc-provider as that provider.
// Over plain HTTP with cookie jars: "Continue with …" creates the account (skip_confirmation),
// a second sign-in finds it, and the provider's own back-channel logout (a POST from the provider
// to Gatehouse) ends the browser session.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import {
  runGatehouse,
  waitForStatus,
  writeTestConfig,
  type RunningProcess,
  type TestConfig,
} from '../helpers/server-process.ts';
import { FetchCookieJar, startUpstreamOp, type UpstreamOp } from '../helpers/upstream-op.ts';

const PROVIDER_ID = '01JZ0000000000000000000008';
const SECRET = 'e2e-upstream-secret-0123456789-abcdefghijklmnopqrstuv';

describe('upstream sign-in against a real server process', () => {
  let config: TestConfig;
  let op: UpstreamOp;
  let server: RunningProcess;
  let base: string;

  before(async () => {
    config = await writeTestConfig({ seed: 'upstream-e2e' });
    base = `http://127.0.0.1:${config.webPort}/`;
    op = await startUpstreamOp({
      clients: [
        {
          client_id: 'gatehouse',
          client_secret: SECRET,
          token_endpoint_auth_method: 'client_secret_post',
          redirect_uris: [`${base}upstream/callback/${PROVIDER_ID}`],
          response_modes: ['form_post', 'query'],
          backchannel_logout_uri: `${base}upstream/backchannel-logout/${PROVIDER_ID}`,
          // Logout tokens then name the subject only: every sign-in of alice is ended.
          backchannel_logout_session_required: false,
        },
      ],
    });
    const doc = parse(readFileSync(config.path, 'utf8')) as Record<string, unknown>;
    doc.upstream_oauth2 = {
      providers: [
        {
          id: PROVIDER_ID,
          issuer: op.issuer,
          human_name: 'Example IdP',
          client_id: 'gatehouse',
          client_secret: SECRET,
          token_endpoint_auth_method: 'client_secret_post',
          scope: 'openid profile email',
          on_backchannel_logout: 'logout_browser_only',
          claims_imports: {
            skip_confirmation: true,
            localpart: { action: 'require' },
            email: { action: 'force' },
          },
        },
      ],
    };
    writeFileSync(config.path, stringify(doc));
    const migrate = runGatehouse(['-c', config.path, 'database', 'migrate']);
    assert.equal(await migrate.exited, 0, migrate.output());
    server = runGatehouse(['-c', config.path, 'server']);
    await waitForStatus(`${base}.well-known/openid-configuration`, 200, 30_000);
  });

  after(async () => {
    if (server !== undefined) {
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0, server.output());
    }
    await op?.close();
    config?.cleanup();
  });

  /** One browser: Gatehouse's cookies in its own jar (the provider keeps its own). */
  async function signIn(jar: FetchCookieJar): Promise<string[]> {
    const visited: string[] = [];
    const get = async (url: string) => {
      visited.push(new URL(url).pathname);
      const response = await fetch(url, { redirect: 'manual', headers: jar.header() });
      jar.update(response);
      return response;
    };
    let response = await get(`${base}upstream/authorize/${PROVIDER_ID}`);
    assert.equal(response.status, 303);
    const back = await op.authorize(response.headers.get('location')!);
    response = await get(`${back.url}?${back.parameters}`);
    for (let hop = 0; hop < 5 && response.status === 303; hop++) {
      response = await get(new URL(response.headers.get('location')!, base).href);
    }
    assert.equal(response.status, 200, await response.text());
    return visited;
  }

  it('creates the account, signs in again, and ends the session on back-channel logout', async () => {
    const first = new FetchCookieJar();
    const visited = await signIn(first);
    assert.equal(visited.at(-1), '/account');

    const second = new FetchCookieJar();
    assert.equal((await signIn(second)).at(-1), '/account');

    const account = async (jar: FetchCookieJar) =>
      (await fetch(`${base}account`, { redirect: 'manual', headers: jar.header() })).status;
    assert.equal(await account(first), 200);
    assert.equal(await account(second), 200);

    // The provider signs alice out: it POSTs a logout token to Gatehouse, which ends the browser
    // sessions its sign-ins made (`logout_browser_only`).
    await op.sendLogout('gatehouse', 'alice', 'unused');
    assert.equal(await account(first), 303);
    assert.equal(await account(second), 303);
  });
});
