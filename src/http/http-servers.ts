// Starts every `http.listeners[]` entry: one Fastify application per listener, one node server per
// bind, and stops them all gracefully. This is what `gatehouse server` calls.
//
// Closing: every server stops accepting at once and idle keep-alive connections are dropped;
// requests in flight get until the timeout to finish, then their connections are cut. Resources'
// onClose hooks and the metrics pipeline (when started here) run last.

import type { Clock } from '../clock.ts';
import type { HttpConfig } from '../config/sections/http.ts';
import type { TelemetryConfig } from '../config/sections/telemetry.ts';
import type { Rng } from '../rng.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createMetrics, type Metrics } from '../telemetry/metrics.ts';
import { clientErrorHandler } from './error-handlers.ts';
import { openBind, type OpenBind } from './listener-binds.ts';
import { buildListenerApp, type ListenerApp } from './listener-app.ts';
import { loadTlsMaterial } from './listener-tls.ts';
import type { AppContext } from './app-context.ts';
import type { HealthProbe } from './resources/index.ts';

export interface StartHttpServersOptions {
  http: HttpConfig;
  telemetry: TelemetryConfig;
  health: HealthProbe;
  /** Needed by the discovery, human and oauth resources. */
  app?: AppContext;
  logger: Logger;
  rng: Rng;
  clock: Clock;
  /** Directory `assets` serves when it has no `path`. Defaults to `./share/assets/`. */
  assetsDefaultPath?: string;
  /** The process's metrics pipeline; when not given, one is made from `telemetry` and shut down on close. */
  metrics?: Metrics;
  /** For naming the temporary UNIX socket; defaults to this process's id. */
  pid?: number;
}

export interface HttpServers {
  addresses(): { listener: string; address: string }[];
  /** Stops accepting, lets requests in flight finish for up to `timeoutMs`, then cuts them. */
  close(timeoutMs: number): Promise<void>;
}

/** A start-up failure, one line naming the listener and bind. */
export class HttpStartError extends Error {
  override readonly name = 'HttpStartError';
}

const DEFAULT_ASSETS_PATH = './share/assets/';
/** How often idle keep-alive connections are dropped while closing. */
const IDLE_SWEEP_MS = 50;

interface Started {
  listener: string;
  app: ListenerApp['app'];
  binds: OpenBind[];
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'EADDRINUSE') return 'address already in use';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EADDRNOTAVAIL') return 'address not available on this machine';
  return message;
}

export async function startHttpServers(options: StartHttpServersOptions): Promise<HttpServers> {
  const { http, logger } = options;
  const ownMetrics = options.metrics === undefined;
  const servePrometheus = http.listeners.some((l) =>
    l.resources.some((r) => r.name === 'prometheus'),
  );
  const metrics =
    options.metrics ?? (await createMetrics(options.telemetry.metrics, { servePrometheus }));
  const started: Started[] = [];

  try {
    for (const [index, listener] of http.listeners.entries()) {
      const name = listener.name ?? `listener-${index}`;
      const where = `http.listeners[${index}] (${name})`;
      if (listener.proxy_protocol) {
        throw new HttpStartError(
          `${where}: proxy_protocol is not supported yet in this version of Gatehouse`,
        );
      }
      let tls = null;
      if (listener.tls !== undefined) {
        try {
          tls = loadTlsMaterial(listener.tls);
        } catch (error) {
          throw new HttpStartError(`${where}.tls: ${reasonOf(error)}`);
        }
      }
      const listenerLogger = logger.child({ listener: name });
      const { app, handler } = await buildListenerApp({
        listener,
        name,
        trustedProxies: http.trusted_proxies,
        deps: {
          health: options.health,
          app: options.app ?? null,
          metrics,
          assetsDefaultPath: options.assetsDefaultPath ?? DEFAULT_ASSETS_PATH,
        },
        logger: listenerLogger,
        clock: options.clock,
        rng: options.rng,
      });
      const entry: Started = { listener: name, app, binds: [] };
      started.push(entry);
      for (const [bindIndex, bind] of listener.binds.entries()) {
        try {
          entry.binds.push(
            await openBind(
              bind,
              { handler, clientError: clientErrorHandler(listenerLogger), tls },
              options.pid ?? process.pid,
            ),
          );
        } catch (error) {
          throw new HttpStartError(
            `${where}.binds[${bindIndex}]: cannot listen: ${reasonOf(error)}`,
          );
        }
      }
      for (const bind of entry.binds) {
        listenerLogger.info(
          { address: bind.address, tls: tls !== null },
          `listening on ${tls ? 'https' : 'http'} ${bind.address}`,
        );
      }
    }
  } catch (error) {
    await closeAll(started, 0);
    if (ownMetrics) await metrics.shutdown();
    throw error;
  }

  let closing: Promise<void> | null = null;
  return {
    addresses: () =>
      started.flatMap((s) => s.binds.map((b) => ({ listener: s.listener, address: b.address }))),
    close(timeoutMs) {
      closing ??= (async () => {
        await closeAll(started, timeoutMs);
        if (ownMetrics) await metrics.shutdown();
      })();
      return closing;
    },
  };
}

async function closeAll(started: Started[], timeoutMs: number): Promise<void> {
  const servers = started.flatMap((s) => s.binds.map((b) => b.server));
  const closed = servers.map(
    (server) => new Promise<void>((resolve) => server.close(() => resolve())),
  );
  // `close()` drops the connections idle right now; keep dropping those that become idle when
  // their last request finishes, until everything is closed.
  const sweep = setInterval(() => {
    for (const server of servers) server.closeIdleConnections();
  }, IDLE_SWEEP_MS);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([Promise.all(closed), deadline]);
    if (outcome === 'timeout') {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(closed);
    }
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
  for (const entry of started) {
    for (const bind of entry.binds) bind.cleanup();
    await entry.app.close();
  }
}
