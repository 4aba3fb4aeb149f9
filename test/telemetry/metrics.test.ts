import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics, otlpMetricsUrl } from '../../src/telemetry/metrics.ts';

describe('createMetrics', () => {
  it('exposes recorded instruments to Prometheus scrapes', async () => {
    const metrics = await createMetrics({ exporter: 'prometheus' }, { processMetrics: false });
    try {
      metrics.meter.createCounter('gatehouse.test.things').add(3, { kind: 'x' });
      const text = await metrics.prometheus!.collect();
      assert.match(text, /^gatehouse_test_things_total\{kind="x"\} 3$/m);
      assert.match(text, /service_name="gatehouse"/);
    } finally {
      await metrics.shutdown();
    }
  });

  it('has no Prometheus scrape for the other exporters', async () => {
    for (const exporter of ['none', 'stdout', 'otlp'] as const) {
      const metrics = await createMetrics({ exporter, endpoint: 'http://127.0.0.1:9/' });
      assert.equal(metrics.prometheus, null);
      // Shutting down flushes push exporters; an unreachable collector must not make it throw.
      await metrics.shutdown().catch(() => {});
    }
  });

  it('turns a collector base URL into the OTLP metrics URL', () => {
    assert.equal(otlpMetricsUrl('https://localhost:4318'), 'https://localhost:4318/v1/metrics');
    assert.equal(
      otlpMetricsUrl('https://collector.example.com/custom/path'),
      'https://collector.example.com/custom/path',
    );
  });
});
