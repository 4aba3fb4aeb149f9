// `prometheus` resource: `GET /metrics` in the Prometheus text format, read from the process's
// OpenTelemetry pipeline (src/telemetry/metrics.ts). MAS serves data here only when
// `telemetry.metrics.exporter` is `prometheus` and answers 500 otherwise; Gatehouse collects for
// scrapes whenever a listener mounts this resource (startHttpServers asks the pipeline for it), so
// the route only answers 404 when it was handed a pipeline without a Prometheus reader.

import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../telemetry/metrics.ts';
import type { Logger } from '../../telemetry/logger.ts';

export function prometheusResource(metrics: Metrics, logger: Logger): FastifyPluginAsync {
  const scrape = metrics.prometheus;
  if (scrape === null) {
    logger.warn(
      'the prometheus resource is mounted on a metrics pipeline without Prometheus: /metrics will answer 404',
    );
  }
  return async (app) => {
    app.get('/metrics', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
      if (scrape === null) {
        return reply
          .code(404)
          .type('text/plain; charset=utf-8')
          .send('Prometheus metrics are not collected by this process');
      }
      return reply
        .code(200)
        .type(scrape.contentType)
        .send(await scrape.collect());
    });
  };
}
