// The last line of error handling for a listener: anything a route did not answer itself ends
// here. Clients get a status and a short JSON body, never a stack trace or an internal message:
// - 4xx raised by the framework (bad JSON, body too large, wrong content type) keep their status
//   and a one-line description;
// - everything else is a 500 `{"error":"server_error"}`, logged with full detail;
// - unknown routes get 404 `{"error":"not_found"}`;
// - bytes that are not HTTP at all are answered 400 at the socket (`clientErrorHandler`).
// Resources with their own error formats (OAuth, Matrix, HTML pages) map their typed errors before
// they reach this handler.

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../telemetry/logger.ts';

export interface ErrorBody {
  error: string;
  error_description?: string;
}

function errorCode(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** Sends the 404 body; shared with resources that install a scoped not-found handler. */
export function sendNotFound(reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .type('application/json; charset=utf-8')
    .send({ error: 'not_found' } satisfies ErrorBody);
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      request.log.info({ error: { code: error.code, message: error.message } }, 'request rejected');
      const body: ErrorBody = { error: errorCode(status) };
      // Only the framework's own messages are known to be safe to show.
      if (typeof error.code === 'string' && error.code.startsWith('FST_'))
        body.error_description = error.message;
      return reply.code(status).type('application/json; charset=utf-8').send(body);
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .code(500)
      .type('application/json; charset=utf-8')
      .send({ error: 'server_error' } satisfies ErrorBody);
  });
  app.setNotFoundHandler((_request, reply) => sendNotFound(reply));
}

/**
 * For Fastify's `frameworkErrors` option: errors raised before routing (a URL that does not
 * decode), which skip the hooks, so the request id and nosniff headers are set here.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  request.log.info({ error: { code: error.code, message: error.message } }, 'request rejected');
  const status =
    typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 400;
  void reply
    .code(status)
    .header('x-request-id', request.id)
    .header('x-content-type-options', 'nosniff')
    .type('application/json; charset=utf-8')
    .send({ error: errorCode(status), error_description: error.message } satisfies ErrorBody);
}

/** For node's `clientError` event: a request that could not even be parsed. */
export function clientErrorHandler(
  logger: Logger,
): (error: Error & { code?: string }, socket: Duplex) => void {
  return (error, socket) => {
    logger.debug({ error: { code: error.code, message: error.message } }, 'malformed HTTP request');
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, text] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout']
          : [400, 'Bad Request'];
    const body = JSON.stringify({ error: errorCode(status) } satisfies ErrorBody);
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
