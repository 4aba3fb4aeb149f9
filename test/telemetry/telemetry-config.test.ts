// The `telemetry` section's schema (src/config/sections/telemetry.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { telemetrySchema } from '../../src/config/sections/telemetry.ts';

describe('telemetry config section', () => {
  it('has MAS defaults', () => {
    assert.deepEqual(telemetrySchema.parse({}), {
      tracing: { exporter: 'none', propagators: [] },
      metrics: { exporter: 'none' },
      sentry: {},
    });
  });

  it('accepts MAS keys', () => {
    const config = telemetrySchema.parse({
      tracing: {
        exporter: 'otlp',
        endpoint: 'https://localhost:4318',
        propagators: ['tracecontext', 'baggage', 'jaeger'],
        sample_rate: 0.5,
      },
      metrics: { exporter: 'prometheus' },
      sentry: {
        dsn: 'https://public@sentry.example.com/1',
        environment: 'staging',
        sample_rate: 1,
        traces_sample_rate: 0.1,
      },
    });
    assert.equal(config.metrics.exporter, 'prometheus');
    assert.equal(config.tracing.sample_rate, 0.5);
  });

  it('rejects out-of-range rates, unknown exporters and unknown keys', () => {
    const result = telemetrySchema.safeParse({
      tracing: { sample_rate: 2 },
      metrics: { exporter: 'statsd' },
      sentry: { traces_sample_rate: -1, extra: true },
    });
    assert.equal(result.success, false);
    const paths = result.error!.issues.map((i) => i.path.join('.')).sort();
    assert.deepEqual(paths, [
      'metrics.exporter',
      'sentry',
      'sentry.traces_sample_rate',
      'tracing.sample_rate',
    ]);
  });
});
