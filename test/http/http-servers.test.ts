import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { request, startTestServers, tcpListener, type TestServers } from './http-test-kit.ts';

let running: TestServers | null = null;
afterEach(async () => {
  await running?.close();
  running = null;
});

function rawRequest(address: string, bytes: string): Promise<string> {
  const [, host, port] = /^(.+):(\d+)$/.exec(address)!;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: host!, port: Number(port) }, () => socket.write(bytes));
    let out = '';
    socket.on('data', (chunk) => (out += chunk.toString('utf8')));
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('startHttpServers', () => {
  it('echoes a well-formed X-Request-Id and logs one line per request with it', async () => {
    running = await startTestServers(tcpListener([{ name: 'health' }]));
    const res = await request(running.address(), '/health/live?code=secret', {
      headers: { 'x-request-id': 'abc-123', authorization: 'Bearer hunter2' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-request-id'], 'abc-123');
    const lines = running.logs.lines.filter((l) => l.msg === 'request completed');
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.equal(line.request_id, 'abc-123');
    assert.equal(line.method, 'GET');
    assert.equal(line.url, '/health/live');
    assert.equal(line.status, 200);
    assert.equal(typeof line.duration_ms, 'number');
    assert.equal(line.listener, 'test');
    assert.doesNotMatch(running.logs.text, /hunter2|secret/);
  });

  it('replaces a malformed X-Request-Id with a generated one', async () => {
    running = await startTestServers(tcpListener([{ name: 'health' }]));
    const res = await request(running.address(), '/health/live', {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    const id = res.headers['x-request-id'];
    assert.match(String(id), /^[0-9A-HJKMNP-TV-Z]{26}$/);
    const again = await request(running.address(), '/health/live');
    assert.notEqual(again.headers['x-request-id'], id);
    assert.ok(running.logs.lines.some((l) => l.msg === 'request completed' && l.request_id === id));
  });

  it('answers unknown paths 404 JSON with security headers', async () => {
    running = await startTestServers(tcpListener([{ name: 'health' }]));
    const res = await request(running.address(), '/nope');
    assert.equal(res.status, 404);
    assert.deepEqual(JSON.parse(res.text), { error: 'not_found' });
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.ok(res.headers['referrer-policy']);
    assert.ok(res.headers['x-request-id']);
  });

  it('answers a malformed JSON body with 400, a short JSON error and no stack trace', async () => {
    running = await startTestServers(tcpListener([{ name: 'health' }]));
    const res = await request(running.address(), '/health/live', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken": ',
    });
    assert.equal(res.status, 400);
    const body = JSON.parse(res.text) as { error: string; error_description: string };
    assert.equal(body.error, 'bad_request');
    assert.match(body.error_description, /not valid JSON/);
    assert.doesNotMatch(res.text, /at \S+ \(|node_modules|\.ts:\d+/);
  });

  it('answers a URL that does not decode with 400 and the request id', async () => {
    running = await startTestServers(tcpListener([{ name: 'health' }]));
    const res = await request(running.address(), '/health/%E0%A4%A');
    assert.equal(res.status, 400);
    assert.equal((JSON.parse(res.text) as { error: string }).error, 'bad_request');
    assert.ok(res.headers['x-request-id']);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('answers bytes that are not HTTP with 400 and no stack trace', async () => {
    running = await startTestServers(tcpListener([{ name: 'health' }]));
    const out = await rawRequest(
      running.address(),
      'GET /health HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n',
    );
    assert.match(out, /^HTTP\/1\.1 400 /);
    assert.doesNotMatch(out, /at \S+ \(|node_modules/);
  });

  it('warns once at start-up per resource it cannot mount, and mounts nothing for it', async () => {
    running = await startTestServers(
      tcpListener([
        { name: 'discovery' },
        { name: 'human' },
        { name: 'graphql', playground: true },
        { name: 'health' },
      ]),
    );
    const warnings = running.logs.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    assert.deepEqual(warnings.sort(), [
      // No application context in this process (a health-only listener set-up).
      'resource discovery needs the application context, which this process does not have: not mounted',
      'resource graphql is not available yet in this version of Gatehouse',
      'resource human needs the application context, which this process does not have: not mounted',
    ]);
    assert.equal(
      (await request(running.address(), '/.well-known/openid-configuration')).status,
      404,
    );
    assert.equal((await request(running.address(), '/health/live')).status, 200);
  });

  it('fails to start with a clear error when the port is taken', async () => {
    running = await startTestServers(tcpListener([{ name: 'health' }]));
    const port = Number(running.address().split(':')[1]);
    await assert.rejects(
      startTestServers({
        listeners: [
          { name: 'clash', resources: [{ name: 'health' }], binds: [{ host: '127.0.0.1', port }] },
        ],
      }),
      /http\.listeners\[0\] \(clash\)\.binds\[0\]: cannot listen: address already in use/,
    );
  });

  it('close() waits for a request in flight, refuses new connections, then resolves', async () => {
    let release!: () => void;
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      ping: async () => {
        entered();
        await gate;
      },
      pendingMigrations: async () => [],
    };
    const t = await startTestServers(tcpListener([{ name: 'health' }]), { health: slow });
    const address = t.address();
    const inFlight = request(address, '/health');
    await inHandler;
    let closed = false;
    const closing = t.servers.close(5_000).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(closed, false, 'close must wait for the request in flight');
    await assert.rejects(request(address, '/health/live'), /ECONNREFUSED/);
    release();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(res.text, 'ok');
    await closing;
    assert.equal(closed, true);
  });

  it('close() cuts a request still running at the timeout', async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const stuck = {
      ping: () => {
        entered();
        return new Promise<void>(() => {});
      },
      pendingMigrations: async () => [],
    };
    const t = await startTestServers(tcpListener([{ name: 'health' }]), { health: stuck });
    const inFlight = request(t.address(), '/health');
    await inHandler;
    await t.servers.close(150);
    await assert.rejects(inFlight, /socket hang up|ECONNRESET/);
  });
});
