// HomeserverHttp's transport (node:http with a keep-alive agent): consecutive calls share one
// connection, a redirect is an error and is not followed, the body is read as UTF-8 without a
// byte-order mark, a POST without a body says `content-length: 0`, and the caller's signal and
// the timeout end a call with the right kind of HomeserverError.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HomeserverError } from '../../src/matrix/homeserver-error.ts';
import { HomeserverHttp } from '../../src/matrix/homeserver-http.ts';

interface Seen {
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly socket: number;
}

describe('HomeserverHttp', () => {
  let server: Server;
  let endpoint: string;
  const seen: Seen[] = [];
  const sockets = new WeakMap<object, number>();
  let connections = 0;

  const routes: Record<string, (response: ServerResponse) => void> = {
    '/ok': (r) => r.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    '/bom': (r) => r.writeHead(200).end('\ufeff{"ok":"bom"}'),
    '/not-json': (r) => r.writeHead(502).end('<html>bad gateway</html>'),
    '/redirect': (r) => r.writeHead(302, { location: '/ok' }).end(),
    '/hang': () => {},
  };

  before(async () => {
    server = createServer((request, response) => {
      if (!sockets.has(request.socket)) sockets.set(request.socket, ++connections);
      seen.push({
        url: request.url ?? '',
        headers: request.headers,
        socket: sockets.get(request.socket)!,
      });
      request.resume();
      // The endpoint may carry a sub-path (`/sub/`): the route is the last segment.
      const route = new URL(request.url ?? '/', 'http://x').pathname.replace(/^\/sub/, '');
      request.on('end', () => routes[route]!(response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reuses one connection for consecutive calls and sends the secret', async () => {
    const http = new HomeserverHttp({ endpoint, secret: 's3cret' });
    const first = seen.length;
    for (let i = 0; i < 5; i++) {
      const answer = await http.request('op', 'POST', 'ok', { json: { i } });
      assert.deepEqual(answer, { status: 200, body: { ok: true } });
    }
    const calls = seen.slice(first);
    assert.equal(new Set(calls.map((c) => c.socket)).size, 1);
    assert.equal(calls[0]!.headers.authorization, 'Bearer s3cret');
    assert.equal(calls[0]!.headers['content-type'], 'application/json');
    assert.equal(calls[0]!.headers['content-length'], String('{"i":0}'.length));
  });

  it('sends content-length 0 for a POST without a body, and the query string', async () => {
    const http = new HomeserverHttp({ endpoint: `${endpoint}sub`, secret: 's' });
    await http.request('op', 'POST', '/ok', { query: { localpart: 'a b' } });
    const call = seen.at(-1)!;
    assert.equal(call.url, '/sub/ok?localpart=a+b');
    assert.equal(call.headers['content-length'], '0');
    assert.equal(call.headers['transfer-encoding'], undefined);
  });

  it('reads UTF-8 without a byte-order mark; a body that is not JSON is null', async () => {
    const http = new HomeserverHttp({ endpoint, secret: 's' });
    assert.deepEqual(await http.request('op', 'GET', 'bom'), { status: 200, body: { ok: 'bom' } });
    assert.deepEqual(await http.request('op', 'GET', 'not-json'), { status: 502, body: null });
  });

  it('does not follow a redirect: the call fails as unreachable', async () => {
    const http = new HomeserverHttp({ endpoint, secret: 's' });
    const before = seen.length;
    await assert.rejects(
      http.request('upsert_device', 'POST', 'redirect', { json: {} }),
      (error: unknown) =>
        error instanceof HomeserverError &&
        error.kind === 'unreachable' &&
        error.message ===
          `homeserver upsert_device: cannot reach ${new URL(endpoint).origin}: unexpected redirect`,
    );
    assert.deepEqual(
      seen.slice(before).map((c) => c.url),
      ['/redirect'],
    );
  });

  it('ends a call at the timeout, or when the caller aborts', async () => {
    const slow = new HomeserverHttp({ endpoint, secret: 's', timeoutMs: 100 });
    await assert.rejects(
      slow.request('query_user', 'GET', 'hang'),
      (error: unknown) =>
        error instanceof HomeserverError &&
        error.kind === 'timeout' &&
        /no answer from http:\/\/127\.0\.0\.1:\d+ within 0\.1 s/.test(error.message),
    );
    const controller = new AbortController();
    const cancelled = new HomeserverHttp({ endpoint, secret: 's', signal: controller.signal });
    const call = cancelled.request('query_user', 'GET', 'hang');
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(
      call,
      (error: unknown) => error instanceof HomeserverError && error.kind === 'aborted',
    );
    await assert.rejects(
      cancelled.request('query_user', 'GET', 'ok'),
      (error: unknown) => error instanceof HomeserverError && error.kind === 'aborted',
    );
  });
});
