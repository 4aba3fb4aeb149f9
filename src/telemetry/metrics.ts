// The OpenTelemetry metrics pipeline: one MeterProvider per process with the reader
// `telemetry.metrics.exporter` asks for (as MAS does):
// - `prometheus`: a pull reader; the `prometheus` HTTP resource serves its text on `/metrics`
//   through our own route (the exporter never opens a server of its own);
// - `otlp`: pushes every minute to `endpoint` over OTLP/HTTP;
// - `stdout`: pushes every minute to standard output (debugging);
// - `none`: no reader, instruments cost next to nothing.
// Process metrics (CPU time and utilisation, resident memory, event loop delay) are registered on
// the same provider.
//
// The SDK and every exporter are imported on demand: together they are tens of MB of code and heap,
// and most servers use one exporter or none. With nothing to read the instruments (`none` and no
// `/metrics` route) no SDK is loaded at all and the meter is the API's no-op meter.

import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';
import { createNoopMeter, type Meter } from '@opentelemetry/api';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { TelemetryConfig } from '../config/sections/telemetry.ts';

export interface PrometheusScrape {
  readonly contentType: string;
  /** The current value of every metric in the Prometheus text format. */
  collect(): Promise<string>;
}

export interface Metrics {
  readonly meter: Meter;
  /** Set when the exporter is `prometheus`. */
  readonly prometheus: PrometheusScrape | null;
  /** Flushes push exporters and stops collecting. */
  shutdown(): Promise<void>;
}

export interface MetricsOptions {
  serviceVersion?: string;
  /** Register CPU, memory and event loop metrics (default true). */
  processMetrics?: boolean;
  /**
   * Collect for Prometheus scrapes even when the configured exporter is another one: set when a
   * listener mounts the `prometheus` resource, so `/metrics` always has data to serve.
   */
  servePrometheus?: boolean;
}

async function prometheusReader(): Promise<{ reader: IMetricReader; scrape: PrometheusScrape }> {
  const { PrometheusExporter, PrometheusSerializer } =
    await import('@opentelemetry/exporter-prometheus');
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const serializer = new PrometheusSerializer('', false, undefined, false, true);
  return {
    reader: exporter,
    scrape: {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      async collect() {
        const { resourceMetrics } = await exporter.collect();
        return serializer.serialize(resourceMetrics);
      },
    },
  };
}

const PUSH_INTERVAL_MS = 60_000;

export async function createMetrics(
  config: TelemetryConfig['metrics'],
  options: MetricsOptions = {},
): Promise<Metrics> {
  const wantsPrometheus = config.exporter === 'prometheus' || options.servePrometheus === true;
  if (config.exporter === 'none' && !wantsPrometheus) {
    return { meter: createNoopMeter(), prometheus: null, shutdown: async () => {} };
  }
  const { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } =
    await import('@opentelemetry/sdk-metrics');
  const readers: IMetricReader[] = [];
  let prometheus: PrometheusScrape | null = null;
  switch (config.exporter) {
    case 'prometheus':
      // Added below, with the scrape endpoint.
      break;
    case 'otlp': {
      const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter(
            config.endpoint ? { url: otlpMetricsUrl(config.endpoint) } : {},
          ),
          exportIntervalMillis: PUSH_INTERVAL_MS,
        }),
      );
      break;
    }
    case 'stdout':
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: new ConsoleMetricExporter(),
          exportIntervalMillis: PUSH_INTERVAL_MS,
        }),
      );
      break;
    case 'none':
      break;
  }
  if (wantsPrometheus) {
    const { reader, scrape } = await prometheusReader();
    readers.push(reader);
    prometheus = scrape;
  }

  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const provider = new MeterProvider({
    readers,
    resource: resourceFromAttributes({
      'service.name': 'gatehouse',
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    }),
  });
  const meter = provider.getMeter('gatehouse');

  let loopDelay: ELDHistogram | null = null;
  if (options.processMetrics !== false && readers.length > 0) {
    const { HostMetrics } = await import('@opentelemetry/host-metrics');
    new HostMetrics({
      meterProvider: provider,
      name: 'gatehouse',
      metricGroups: ['process.cpu', 'process.memory'],
    }).start();
    loopDelay = observeEventLoopDelay(meter);
  }

  return {
    meter,
    prometheus,
    async shutdown() {
      loopDelay?.disable();
      await provider.shutdown();
    },
  };
}

/**
 * MAS documents the endpoint as the collector's base URL (`https://localhost:4318`); the JS
 * exporter wants the full metrics URL, so a bare base gets `/v1/metrics` appended.
 */
export function otlpMetricsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/metrics';
  return url.toString();
}

function observeEventLoopDelay(meter: Meter): ELDHistogram {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  const nsToSeconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
  const p99 = meter.createObservableGauge('nodejs.eventloop.delay.p99', {
    description: '99th percentile of the event loop delay since the last collection.',
    unit: 's',
  });
  const max = meter.createObservableGauge('nodejs.eventloop.delay.max', {
    description: 'Largest event loop delay since the last collection.',
    unit: 's',
  });
  meter.addBatchObservableCallback(
    (result) => {
      result.observe(p99, nsToSeconds(histogram.percentile(99)));
      result.observe(max, nsToSeconds(histogram.max));
      histogram.reset();
    },
    [p99, max],
  );
  return histogram;
}
