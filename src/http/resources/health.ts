// `health` resource: probes for load balancers and orchestrators.
// - `GET /health`: `SELECT 1` on the database; 200 `ok`, or 503 when it cannot be reached (MAS
//   answers this path the same way when healthy).
// - `GET /health/live`: 200 as long as the process answers HTTP at all.
// - `GET /health/ready`: 503 while the database is unreachable or has migrations pending (this
//   version must not serve an old schema), 200 otherwise.
// The database can come and go: every probe asks it again, nothing is cached.

import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** What the probes need from storage (SqlStorage implements it). */
export interface HealthProbe {
  ping(): Promise<void>;
  pendingMigrations(): Promise<string[]>;
}

/** A probe that has not answered by then counts as failed, so the check itself never hangs. */
const PROBE_TIMEOUT_MS = 5_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .type('text/plain; charset=utf-8')
    .send(body);
}

export function healthResource(
  probe: HealthProbe,
  timeoutMs = PROBE_TIMEOUT_MS,
): FastifyPluginAsync {
  return async (app) => {
    app.get('/health', async (request, reply) => {
      try {
        await withTimeout(probe.ping(), timeoutMs);
      } catch (error) {
        request.log.warn({ err: error }, 'health check: database unreachable');
        return text(reply, 503, 'database unreachable');
      }
      return text(reply, 200, 'ok');
    });

    app.get('/health/live', async (_request, reply) => text(reply, 200, 'ok'));

    app.get('/health/ready', async (request, reply) => {
      let pending: string[];
      try {
        await withTimeout(probe.ping(), timeoutMs);
        pending = await withTimeout(probe.pendingMigrations(), timeoutMs);
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check: database unreachable');
        return text(reply, 503, 'not ready: database unreachable');
      }
      if (pending.length > 0) {
        return text(reply, 503, `not ready: ${pending.length} database migration(s) pending`);
      }
      return text(reply, 200, 'ok');
    });
  };
}
