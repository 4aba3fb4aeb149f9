// One JSON log line per request, when the response is done: method, path, status, duration and
// the request id (bound on the request's child logger). No bodies and no headers, so no
// credentials: the query string is left out too, because OAuth puts codes and tokens there.

import type { FastifyInstance } from 'fastify';

// pino's numeric levels; a level not listed (`silent`) logs nothing.
const LEVELS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};
const enabled = (threshold: string, level: 'info' | 'warn' | 'error') =>
  (LEVELS[threshold] ?? Infinity) <= LEVELS[level]!;

export function installRequestLog(app: FastifyInstance): void {
  // A callback hook, and no line built when its level is off (the usual `warn` in production
  // skips every successful request): this runs on every call of the hot endpoints.
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (!enabled(request.log.level, level)) {
      done();
      return;
    }
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
    done();
  });
}
