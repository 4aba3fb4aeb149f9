// The production bundle (scripts/build.ts): it builds, and the bundled `gatehouse` runs a server
// whose pages render, so the templates and translations it finds from its own location are right.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBundle, ROOT } from '../../scripts/build.ts';
import { waitForStatus, writeTestConfig, type TestConfig } from '../helpers/server-process.ts';

// Two folders below the root, as the real bundle is, but not dist/bundle/: bin/gatehouse.js would
// pick that one up for every other test running at the same time.
const dir = join(ROOT, 'dist', `test-${process.pid}`);
const bundle = join(dir, 'main.mjs');

function runBundle(args: string[]) {
  const script = `const { main } = await import(${JSON.stringify(bundle)});
process.exitCode = await main(process.argv.slice(1), { env: process.env, cwd: process.cwd() });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited };
}

describe('production bundle', () => {
  let config: TestConfig;
  before(async () => {
    await buildBundle(bundle);
    config = await writeTestConfig({ seed: 'bundle' });
  });
  after(() => {
    config?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the version', async () => {
    const run = runBundle(['--version']);
    assert.equal(await run.exited, 0, run.output());
    assert.match(run.output(), /^\d+\.\d+\.\d+/);
  });

  it('migrates and serves discovery and the sign-in page', async () => {
    const migrate = runBundle(['-c', config.path, 'database', 'migrate']);
    assert.equal(await migrate.exited, 0, migrate.output());
    const server = runBundle(['-c', config.path, 'server']);
    try {
      const base = `http://127.0.0.1:${config.webPort}`;
      await waitForStatus(`${base}/.well-known/openid-configuration`, 200, 30_000);
      const login = await fetch(`${base}/login`);
      assert.equal(login.status, 200);
      const html = await login.text();
      assert.match(html, /<form[^>]+method="post"/i);
      assert.match(html, /name="username"/);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
