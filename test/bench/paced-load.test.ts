// The benchmark's fixed-rate load (bench/paced-load.ts) against a small real HTTP server: every
// request due in the period is sent and answered, spread over the period rather than in a burst,
// with autocannon's request hooks and per-connection contexts.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PACED_CONNECTIONS, runPaced } from '../../bench/paced-load.ts';

describe('runPaced', () => {
  let server: Server;
  let url: string;
  const arrivals: { at: number; body: string; path: string }[] = [];

  before(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        arrivals.push({ at: performance.now(), body, path: request.url ?? '' });
        const answer = JSON.stringify({ echo: body });
        response.writeHead(request.url === '/teapot' ? 418 : 200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(answer),
        });
        response.end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends every request due in the period, spread over it, with per-connection contexts', async () => {
    arrivals.length = 0;
    const seenByContext = new Map<Record<string, unknown>, string[]>();
    const result = await runPaced({
      url,
      connections: 4,
      duration: 1,
      overallRate: 200,
      requests: [
        {
          method: 'POST',
          path: '/echo',
          headers: { 'content-type': 'text/plain' },
          setupRequest: (request, context) => {
            context.n = ((context.n as number | undefined) ?? 0) + 1;
            return { ...request, body: `request ${String(context.n)}` };
          },
          onResponse: (status, body, context) => {
            assert.equal(status, 200);
            const seen = seenByContext.get(context) ?? [];
            seen.push((JSON.parse(body) as { echo: string }).echo);
            seenByContext.set(context, seen);
          },
        },
      ],
    });
    // Due at 0, 5, 10, … 1000 ms: 201 requests, none lost, none failed.
    assert.equal(result.requests, 201);
    assert.equal(arrivals.length, 201);
    assert.equal(result.errors, 0);
    assert.ok(result.p50Ms > 0 && result.p99Ms >= result.p50Ms && result.maxMs >= result.p99Ms);
    // Each connection numbered its own requests through its context. How many connections
    // served requests depends on how fast the answers came back (a busy machine uses more of
    // them); never more than the paced load opens.
    assert.ok(seenByContext.size >= 1 && seenByContext.size <= PACED_CONNECTIONS);
    for (const seen of seenByContext.values())
      assert.deepEqual(
        seen,
        seen.map((_, i) => `request ${i + 1}`),
      );
    // Spread over the second, not sent back to back at its start.
    const first = arrivals[0]!.at;
    const inFirstHalf = arrivals.filter((a) => a.at - first < 500).length;
    assert.ok(inFirstHalf > 50 && inFirstHalf < 150, `${inFirstHalf} of 201 in the first half`);
    assert.ok(arrivals.at(-1)!.at - first > 800);
  });

  it('counts unexpected statuses as errors, not as successes', async () => {
    const result = await runPaced({
      url,
      connections: 2,
      duration: 0.1,
      overallRate: 100,
      requests: [{ method: 'GET', path: '/teapot' }],
    });
    assert.equal(result.requests, 11);
    assert.equal(result.errors, 11);
    assert.equal(result.rps, 0);
  });
});
