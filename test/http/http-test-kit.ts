// Shared by the test/http tests: start real listeners from a YAML-shaped `http` section (parsed by
// the real schema), capture the JSON log lines, and make requests over TCP, UNIX sockets or TLS.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Writable } from 'node:stream';
import { MockClock } from '../../src/clock.ts';
import { httpSchema } from '../../src/config/sections/http.ts';
import { telemetrySchema } from '../../src/config/sections/telemetry.ts';
import {
  startHttpServers,
  type HttpServers,
  type StartHttpServersOptions,
} from '../../src/http/http-servers.ts';
import type { HealthProbe } from '../../src/http/resources/health.ts';
import { SeededRng } from '../../src/rng.ts';
import { createLogger } from '../../src/telemetry/logger.ts';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export class LogCapture extends Writable {
  readonly lines: LogLine[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n'))
      if (line !== '') this.lines.push(JSON.parse(line) as LogLine);
    done();
  }

  get text(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }
}

/** A database that is always there and fully migrated. */
export const healthyProbe: HealthProbe = {
  ping: async () => {},
  pendingMigrations: async () => [],
};

export interface TestServers {
  servers: HttpServers;
  logs: LogCapture;
  /** The address of the first bind of the named (or first) listener. */
  address(listener?: string): string;
  close(): Promise<void>;
}

export async function startTestServers(
  http: unknown,
  options: { telemetry?: unknown; health?: HealthProbe } & Partial<
    Pick<StartHttpServersOptions, 'assetsDefaultPath' | 'pid'>
  > = {},
): Promise<TestServers> {
  const logs = new LogCapture();
  const servers = await startHttpServers({
    http: httpSchema.parse(http),
    telemetry: telemetrySchema.parse(options.telemetry ?? {}),
    health: options.health ?? healthyProbe,
    logger: createLogger({ level: 'debug', destination: logs }),
    rng: new SeededRng('http-tests'),
    clock: new MockClock(),
    ...(options.assetsDefaultPath !== undefined
      ? { assetsDefaultPath: options.assetsDefaultPath }
      : {}),
    ...(options.pid !== undefined ? { pid: options.pid } : {}),
  });
  return {
    servers,
    logs,
    address(listener) {
      const all = servers.addresses();
      const found = listener === undefined ? all[0] : all.find((a) => a.listener === listener);
      if (found === undefined) throw new Error(`no listener ${listener}`);
      return found.address;
    },
    close: () => servers.close(2_000),
  };
}

/** One listener on 127.0.0.1 with a free port. */
export function tcpListener(resources: unknown[], extra: Record<string, unknown> = {}): unknown {
  return {
    listeners: [{ name: 'test', resources, binds: [{ host: '127.0.0.1', port: 0 }], ...extra }],
  };
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM CA to trust: makes the request over TLS. */
  ca?: string;
}

/** A request to `address` (`host:port`, `[v6]:port` or `unix:/path`) for `path`. */
export function request(
  address: string,
  path: string,
  options: RequestOptions = {},
): Promise<Response> {
  const target = address.startsWith('unix:')
    ? { socketPath: address.slice('unix:'.length) }
    : (() => {
        const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address)!;
        return { host: match[1]!, port: Number(match[2]) };
      })();
  const send = options.ca !== undefined ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        ...target,
        path,
        method: options.method ?? 'GET',
        headers: { connection: 'close', ...options.headers },
        agent: false,
        ...(options.ca !== undefined ? { ca: options.ca, servername: 'localhost' } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: body.toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
