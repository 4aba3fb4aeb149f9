// The compat endpoints' errors, as the Matrix client-server API spells them: `{errcode, error}`
// with the right HTTP status. Handlers throw `MatrixError`; `sendMatrixError` is the one place that
// turns anything thrown into a response. An unexpected error is logged and answered with a generic
// `M_UNKNOWN` 500 (never a stack trace); a homeserver that cannot be reached is a 503.

import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { HomeserverError } from '../../../matrix/homeserver-error.ts';
import { RateLimitedError } from '../../../rate-limit/rate-limited-error.ts';

export class MatrixError extends Error {
  override readonly name = 'MatrixError';
  readonly status: number;
  readonly errcode: string;
  /** Fields added to the body (`retry_after_ms`, `soft_logout`). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    status: number,
    errcode: string,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = status;
    this.errcode = errcode;
    this.extra = extra;
  }
}

export const notJson = (): MatrixError => new MatrixError(400, 'M_NOT_JSON', 'Body is not JSON');
export const badJson = (message: string): MatrixError =>
  new MatrixError(400, 'M_BAD_JSON', message);
export const missingParam = (name: string): MatrixError =>
  new MatrixError(400, 'M_MISSING_PARAM', `Missing parameter: ${name}`);
export const invalidParam = (message: string): MatrixError =>
  new MatrixError(400, 'M_INVALID_PARAM', message);
export const unknown = (message: string): MatrixError => new MatrixError(400, 'M_UNKNOWN', message);
export const forbidden = (message: string): MatrixError =>
  new MatrixError(403, 'M_FORBIDDEN', message);
export const userLocked = (): MatrixError =>
  new MatrixError(401, 'M_USER_LOCKED', 'This account has been locked', { soft_logout: false });
export const userDeactivated = (): MatrixError =>
  new MatrixError(403, 'M_USER_DEACTIVATED', 'This account has been deactivated');
export const unknownToken = (message = 'Invalid access token'): MatrixError =>
  new MatrixError(401, 'M_UNKNOWN_TOKEN', message, { soft_logout: false });
export const missingToken = (): MatrixError =>
  new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token');
export const unrecognized = (): MatrixError =>
  new MatrixError(404, 'M_UNRECOGNIZED', 'Unrecognized request');
/** For the login rate limiter: the client may try again after `retryAfterMs`. */
export const limitExceeded = (retryAfterMs: number): MatrixError =>
  new MatrixError(429, 'M_LIMIT_EXCEEDED', 'Too many requests', {
    retry_after_ms: Math.max(0, Math.ceil(retryAfterMs)),
  });

/** Answers with `error` as a Matrix error; anything unexpected is logged and answered generically. */
export function sendMatrixError(
  reply: FastifyReply,
  error: unknown,
  log: FastifyBaseLogger,
): FastifyReply {
  let matrix: MatrixError;
  if (error instanceof MatrixError) {
    matrix = error;
  } else if (error instanceof RateLimitedError) {
    log.info({ limiter: error.limiter }, 'rate limited');
    matrix = limitExceeded(error.retryAfterMs);
  } else if (error instanceof HomeserverError) {
    log.error({ err: error }, 'homeserver call failed');
    matrix = new MatrixError(503, 'M_UNKNOWN', 'The homeserver could not be reached; try again');
  } else {
    log.error({ err: error }, 'compat request failed');
    matrix = new MatrixError(500, 'M_UNKNOWN', 'Internal server error');
  }
  if (matrix.status === 429) {
    const ms = matrix.extra.retry_after_ms;
    if (typeof ms === 'number') reply.header('retry-after', String(Math.ceil(ms / 1000)));
  }
  return reply
    .code(matrix.status)
    .header('cache-control', 'no-store')
    .type('application/json')
    .send({ errcode: matrix.errcode, error: matrix.message, ...matrix.extra });
}
