import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { request, startTestServers, type TestServers } from './http-test-kit.ts';

let running: TestServers | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await running?.close();
  running = null;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bind-'));
  dirs.push(dir);
  return dir;
}

const health = [{ name: 'health' }];
const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) =>
  (list ?? []).some((i) => i.family === 'IPv6' && i.address === '::1'),
);

function listenOn(
  server: Server,
  options: { port?: number; host?: string; path?: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => resolve());
  });
}

/** Runs inherited-fd-child.ts with `fd` as its fd 3; resolves with its first line of output. */
async function runChild(
  fd: number,
  http: unknown,
): Promise<{ line: Record<string, unknown>; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./inherited-fd-child.ts', import.meta.url)), JSON.stringify(http)],
    {
      stdio: ['pipe', 'pipe', 'inherit', fd],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    lines.once('close', () => reject(new Error('child exited without output')));
  });
  return {
    line: JSON.parse(first) as Record<string, unknown>,
    stop: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

describe('listener binds', () => {
  it('listens on host+port and on an IPv4 address', async () => {
    running = await startTestServers({
      listeners: [
        {
          name: 'both',
          resources: health,
          binds: [{ host: '127.0.0.1', port: 0 }, { address: '127.0.0.1:0' }],
        },
      ],
    });
    const addresses = running.servers.addresses();
    assert.equal(addresses.length, 2);
    for (const { address, listener } of addresses) {
      assert.equal(listener, 'both');
      assert.match(address, /^127\.0\.0\.1:\d+$/);
      assert.equal((await request(address, '/health')).text, 'ok');
    }
  });

  it('listens on an IPv6 address', { skip: !hasIpv6Loopback && 'no IPv6 loopback' }, async () => {
    running = await startTestServers({
      listeners: [{ resources: health, binds: [{ address: '[::1]:0' }] }],
    });
    const address = running.address();
    assert.match(address, /^\[::1\]:\d+$/);
    assert.equal((await request(address, '/health')).status, 200);
    assert.equal(running.servers.addresses()[0]!.listener, 'listener-0');
  });

  it('listens on a UNIX socket with the given mode, replaces a stale one, removes it on close', async () => {
    const dir = tempDir();
    const path = join(dir, 'gh.sock');
    // A socket file left by a previous run, nobody listening: make one under another name, move
    // it into place, and close the server (which unlinks only the name it was made under).
    const stale = createServer();
    await listenOn(stale, { path: `${path}.old` });
    renameSync(`${path}.old`, path);
    await new Promise<void>((resolve) => stale.close(() => resolve()));
    assert.ok(existsSync(path), 'stale socket file present');

    running = await startTestServers({
      listeners: [{ name: 'unix', resources: health, binds: [{ socket: path, mode: '600' }] }],
    });
    assert.equal(running.address(), `unix:${path}`);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal((await request(running.address(), '/health')).text, 'ok');
    await running.close();
    running = null;
    assert.equal(existsSync(path), false, 'socket removed on close');
  });

  it('accepts a numeric mode as octal digits', async () => {
    const path = join(tempDir(), 'gh.sock');
    running = await startTestServers({
      listeners: [{ resources: health, binds: [{ socket: path, mode: 660 }] }],
    });
    assert.equal(statSync(path).mode & 0o777, 0o660);
  });

  it('refuses to replace a file that is not a socket', async () => {
    const path = join(tempDir(), 'not-a-socket');
    writeFileSync(path, 'keep me');
    await assert.rejects(
      startTestServers({ listeners: [{ resources: health, binds: [{ socket: path }] }] }),
      /binds\[0\]: cannot listen: .*not a socket; refusing to replace it/,
    );
    assert.equal(statSync(path).size, 7);
  });

  it('serves a TCP socket inherited as fd 3 (`fd: 0`)', async () => {
    const parent = createServer();
    await listenOn(parent, { host: '127.0.0.1', port: 0 });
    const port = (parent.address() as { port: number }).port;
    const fd = (parent as unknown as { _handle: { fd: number } })._handle.fd;
    const child = await runChild(fd, {
      listeners: [{ name: 'inherited', resources: health, binds: [{ fd: 0 }] }],
    });
    // The child has its own copy of the socket now; the parent stops accepting on it.
    await new Promise<void>((resolve) => parent.close(() => resolve()));
    try {
      assert.deepEqual(child.line, {
        addresses: [{ listener: 'inherited', address: `fd:3 (127.0.0.1:${port})` }],
      });
      assert.equal((await request(`127.0.0.1:${port}`, '/health')).text, 'ok');
    } finally {
      await child.stop();
    }
  });

  it('serves a UNIX socket inherited with `kind: unix`, and refuses the wrong kind', async () => {
    const dir = tempDir();
    const parent = createServer();
    await listenOn(parent, { path: join(dir, 'made.sock') });
    // Move the socket to a name the parent's close() (which unlinks its own name) leaves alone.
    const path = join(dir, 'inherited.sock');
    renameSync(join(dir, 'made.sock'), path);
    const fd = (parent as unknown as { _handle: { fd: number } })._handle.fd;
    try {
      const wrong = await runChild(fd, {
        listeners: [{ resources: health, binds: [{ fd: 0, kind: 'tcp' }] }],
      });
      await wrong.stop();
      assert.match(
        String(wrong.line.error),
        /binds\[0\]: cannot listen: fd 3 is a UNIX socket, not tcp/,
      );
      const child = await runChild(fd, {
        listeners: [{ resources: health, binds: [{ fd: 0, kind: 'unix' }] }],
      });
      try {
        assert.deepEqual(child.line, {
          addresses: [{ listener: 'listener-0', address: 'fd:3 (unix)' }],
        });
        await new Promise<void>((resolve) => parent.close(() => resolve()));
        assert.equal((await request(`unix:${path}`, '/health')).text, 'ok');
      } finally {
        await child.stop();
      }
    } finally {
      parent.close();
    }
  });

  it('mounts resources under the listener prefix', async () => {
    running = await startTestServers({
      listeners: [{ resources: health, prefix: '/auth/', binds: [{ host: '127.0.0.1', port: 0 }] }],
    });
    assert.equal((await request(running.address(), '/auth/health')).text, 'ok');
    assert.equal((await request(running.address(), '/auth/health/live')).status, 200);
    assert.equal((await request(running.address(), '/health')).status, 404);
  });
});
