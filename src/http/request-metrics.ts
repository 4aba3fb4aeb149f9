// HTTP server metrics for a listener, by method, route pattern and status: a request counter and
// a duration histogram (OpenTelemetry semantic convention names, in seconds). Routes are the
// registered patterns (`/assets/*`), never raw paths, so label cardinality stays bounded.

import type { Meter } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
]);

// Buckets from the semantic conventions (seconds).
const DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

export function installRequestMetrics(app: FastifyInstance, meter: Meter, listener: string): void {
  const requests = meter.createCounter('http.server.requests', {
    description: 'HTTP requests answered.',
  });
  const duration = meter.createHistogram('http.server.request.duration', {
    description: 'Time to answer HTTP requests.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  // A callback hook: an async one costs a promise per request, on every call of every endpoint.
  app.addHook('onResponse', (request, reply, done) => {
    const attributes = {
      'http.request.method': KNOWN_METHODS.has(request.method) ? request.method : '_OTHER',
      // As MAS: requests no route matched are counted under one name.
      'http.route': request.is404 ? 'FALLBACK' : (request.routeOptions.url ?? 'FALLBACK'),
      'http.response.status_code': reply.statusCode,
      'gatehouse.listener.name': listener,
    };
    requests.add(1, attributes);
    duration.record(reply.elapsedTime / 1000, attributes);
    done();
  });
}
