// One JSON log line per request, when the response is done: method, path, status, duration and
// the request id (bound on the request's child logger). No bodies and no headers, so no
// credentials: the query string is left out too, because OAuth puts codes and tokens there.

import type { FastifyInstance } from 'fastify';

export function installRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const line = {
      method: request.method,
      url: request.url.split('?', 1)[0],
      status,
      duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
      remote_address: request.ip,
    };
    // As MAS: client errors are warnings, server errors are errors.
    if (status >= 500) request.log.error(line, 'request completed');
    else if (status >= 400) request.log.warn(line, 'request completed');
    else request.log.info(line, 'request completed');
  });
}
