// The one error type of the Admin API and the one place it becomes a response:
// `{errors: [{title}]}` with its status. Anything unexpected is logged and answered with a bare
// 500 title, never a stack trace.

import type { FastifyReply } from 'fastify';
import { BadAdminRequest } from '../../../admin/pagination.ts';
import { errorBody } from '../../../admin/jsonapi.ts';
import type { Logger } from '../../../telemetry/logger.ts';

export class AdminError extends Error {
  readonly status: number;
  constructor(status: number, title: string) {
    super(title);
    this.status = status;
  }
}

export const notFound = (what: string, id: string): AdminError =>
  new AdminError(404, `${what} ID ${id} not found`);

export function sendAdminError(reply: FastifyReply, error: unknown, logger: Logger): FastifyReply {
  let status = 500;
  let title = 'Internal server error';
  if (error instanceof AdminError) {
    status = error.status;
    title = error.message;
  } else if (error instanceof BadAdminRequest) {
    status = 400;
    title = error.message;
  } else {
    logger.error({ err: error }, 'admin API request failed');
  }
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  return reply.code(status).header('cache-control', 'no-store').send(errorBody(title));
}
