// bin/gatehouse.js starts `gatehouse server` with memory settings of its own (small V8
// semi-spaces, two malloc arenas: docs/performance.md), replacing its own process (same pid), and
// leaves both alone when the operator sets them.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  runGatehouse,
  waitForStatus,
  writeTestConfig,
  type TestConfig,
} from '../helpers/server-process.ts';

function processOf(pid: number) {
  const split = (file: string) => readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0');
  return { argv: split('cmdline'), env: split('environ') };
}

async function startServer(config: TestConfig, env: NodeJS.ProcessEnv = {}) {
  const server = runGatehouse(['-c', config.path, 'server'], { env });
  await waitForStatus(`http://127.0.0.1:${config.internalPort}/health/ready`, 200, 60_000);
  return server;
}

describe('gatehouse server memory settings (Linux: read from /proc)', () => {
  let config: TestConfig;
  before(async () => {
    config = await writeTestConfig({ seed: 'memory-flags' });
    const migrate = runGatehouse(['-c', config.path, 'database', 'migrate']);
    assert.equal(await migrate.exited, 0, migrate.output());
  });
  after(() => config?.cleanup());

  it('runs with small semi-spaces and two malloc arenas', async () => {
    const server = await startServer(config);
    try {
      const { argv, env } = processOf(server.child.pid!);
      assert.ok(argv.includes('--max-semi-space-size=2'), argv.join(' '));
      assert.ok(env.includes('MALLOC_ARENA_MAX=2'));
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it("keeps the operator's own settings", async () => {
    const server = await startServer(config, {
      NODE_OPTIONS: '--max-semi-space-size=8',
      MALLOC_ARENA_MAX: '4',
    });
    try {
      const { argv, env } = processOf(server.child.pid!);
      assert.ok(!argv.includes('--max-semi-space-size=2'), argv.join(' '));
      assert.ok(env.includes('MALLOC_ARENA_MAX=4'));
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
