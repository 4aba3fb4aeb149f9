import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request, startTestServers, type TestServers } from '../http-test-kit.ts';

const twoListeners = {
  listeners: [
    { name: 'web', resources: [{ name: 'health' }], binds: [{ host: '127.0.0.1', port: 0 }] },
    {
      name: 'internal',
      resources: [{ name: 'prometheus' }],
      binds: [{ host: '127.0.0.1', port: 0 }],
    },
  ],
};

async function withServers(
  telemetry: unknown,
  work: (t: TestServers) => Promise<void>,
): Promise<void> {
  const t = await startTestServers(twoListeners, { telemetry });
  try {
    await work(t);
  } finally {
    await t.close();
  }
}

describe('prometheus resource', () => {
  it('serves HTTP request and process metrics in the Prometheus text format', async () => {
    await withServers({ metrics: { exporter: 'prometheus' } }, async (t) => {
      assert.equal((await request(t.address('web'), '/health/live')).status, 200);
      assert.equal((await request(t.address('web'), '/missing/42')).status, 404);
      const res = await request(t.address('internal'), '/metrics');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      const text = res.text;
      const counter = /^http_server_requests_total\{([^}]*)\} (\d+)$/gm;
      const samples = [...text.matchAll(counter)].map((m) => ({
        labels: m[1]!,
        value: Number(m[2]),
      }));
      const live = samples.find(
        (s) =>
          s.labels.includes('http_route="/health/live"') &&
          s.labels.includes('http_request_method="GET"') &&
          s.labels.includes('http_response_status_code="200"') &&
          s.labels.includes('gatehouse_listener_name="web"'),
      );
      assert.equal(live?.value, 1, text);
      // Unmatched paths are one series, not one per path.
      assert.ok(
        samples.some(
          (s) =>
            s.labels.includes('http_route="FALLBACK"') &&
            s.labels.includes('http_response_status_code="404"'),
        ),
      );
      assert.doesNotMatch(text, /missing\/42/);
      assert.match(
        text,
        /^http_server_request_duration_bucket\{.*http_route="\/health\/live".*le="\+Inf"\} 1$/m,
      );
      assert.match(text, /^# TYPE http_server_request_duration histogram$/m);
      const rss = /^process_memory_usage (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
      assert.ok(rss && Number(rss[1]) > 1_000_000, 'resident memory gauge present');
      assert.match(text, /^process_cpu_time_total\{process_cpu_state="user"\} /m);
      assert.match(text, /^nodejs_eventloop_delay_p99 /m);
    });
  });

  it('serves metrics when the prometheus resource is mounted, whatever the configured exporter', async () => {
    await withServers({}, async (t) => {
      assert.equal((await request(t.address('web'), '/health/live')).status, 200);
      const res = await request(t.address('internal'), '/metrics');
      assert.equal(res.status, 200);
      assert.match(res.text, /^http_server_requests_total\{.*http_route="\/health\/live".*\} 1$/m);
      assert.ok(
        !t.logs.lines.some((l) => l.level === 'warn' && /metrics/.test(l.msg)),
        'no warning',
      );
    });
  });
});
