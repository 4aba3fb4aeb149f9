// One Fastify application per listener: request ids, the request log line, metrics, security
// headers and error handling around the listener's resources, all mounted under its `prefix`.
// The application does not listen itself: `handler` is given to one node server per bind
// (src/http/listener-binds.ts), so every bind of a listener serves the same application.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Clock } from '../clock.ts';
import type { HttpListenerConfig } from '../config/sections/http.ts';
import type { Rng } from '../rng.ts';
import type { Logger } from '../telemetry/logger.ts';
import { frameworkErrorHandler, installErrorHandlers } from './error-handlers.ts';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id.ts';
import { installRequestLog } from './request-log.ts';
import { installRequestMetrics } from './request-metrics.ts';
import { resourcePlugin, type ResourceDependencies } from './resources/index.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

export interface ListenerAppOptions {
  listener: HttpListenerConfig;
  /** `name`, else `listener-<index>`. */
  name: string;
  trustedProxies: string[];
  deps: Omit<ResourceDependencies, 'logger'>;
  /** The listener's logger (already bound to its name). */
  logger: Logger;
  clock: Clock;
  rng: Rng;
}

export interface ListenerApp {
  readonly app: FastifyInstance;
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
}

/** `/auth/` → `/auth`, `/` → `` (as MAS: trailing slashes trimmed, the root mounts directly). */
export function normalizePrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/\/+$/, '');
}

export async function buildListenerApp(options: ListenerAppOptions): Promise<ListenerApp> {
  const { listener, logger, clock, rng } = options;
  let handler: ListenerApp['handler'] | null = null;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One line per request is logged by installRequestLog, without headers.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'request_id',
    }),
    genReqId: (request) => requestIdFor(request.headers[REQUEST_ID_HEADER], clock, rng),
    trustProxy: options.trustedProxies,
    frameworkErrors: frameworkErrorHandler,
    // The binds' servers are ours; Fastify only gets their request handler.
    serverFactory: (fastifyHandler) => {
      handler = fastifyHandler;
      return createServer();
    },
  });

  // Callback hooks (an async one costs a promise per request), and one hook for every header
  // written on every response: each hook is a step of its own for every request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    reply.headers(SECURITY_HEADERS);
    done();
  });
  installRequestLog(app);
  installRequestMetrics(app, options.deps.metrics.meter, options.name);
  installErrorHandlers(app);

  const deps: ResourceDependencies = { ...options.deps, logger };
  const plugins = listener.resources.flatMap((resource) => {
    const plugin = resourcePlugin(resource, deps);
    return plugin === null ? [] : [plugin];
  });
  const prefix = normalizePrefix(listener.prefix);
  await app.register(
    async (scope) => {
      for (const plugin of plugins) await scope.register(plugin);
    },
    { prefix },
  );

  await app.ready();
  if (handler === null) throw new Error('Fastify did not hand over its request handler');
  return { app, handler };
}
