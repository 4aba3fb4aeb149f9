// An open-loop load at a fixed rate, paced evenly: every millisecond the requests due by then are
// started, so arrivals are spread over each second as a steady stream of clients would spread
// them. Each request's latency runs from the moment the generator issued it (the tick that found
// it due), not from when a connection took it: when every connection is busy an issued request
// waits, and that wait counts (no coordinated omission). The generator's own timer lateness
// (a tick every ~1 ms) is not counted: it is not the server's.
// Latencies are kept with sub-millisecond precision, so a p99 of 0.8 ms reads as 0.8, not 0 or 1.
//
// The request descriptions are autocannon's (./load.ts `AutocannonRequest`): each of the
// `connections` keep-alive connections cycles through `requests` with a context object of its
// own, calling `setupRequest` before and `onResponse` after each request, as autocannon does.
// Connections are raw sockets speaking just enough HTTP/1.1 (one request at a time, responses
// with a Content-Length, as Gatehouse's JSON answers have): node:http's client costs several
// times more CPU per request, and at ten thousand requests a second on the machine under test the
// load generator's own delay would be measured as the server's latency.

import { connect, type Socket } from 'node:net';
import type { AutocannonRequest, LoadOptions, LoadResult } from './load.ts';

const HEADER_END = Buffer.from('\r\n\r\n');
/** Keep-alive connections of a paced load, at least (see `runPaced`). */
export const PACED_CONNECTIONS = 64;

/** One keep-alive connection with one request in flight at most. */
class Connection {
  readonly context: Record<string, unknown> = {};
  next = 0;
  #socket: Socket | null = null;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: ((response: { status: number; body: string } | null) => void) | null = null;
  readonly #host: string;
  readonly #port: number;

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
  }

  /** Sends `bytes` and resolves with the response, or null when the connection failed. */
  exchange(bytes: Buffer): Promise<{ status: number; body: string } | null> {
    return new Promise((resolve) => {
      this.#pending = resolve;
      this.#open().write(bytes);
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = null;
  }

  #open(): Socket {
    if (this.#socket !== null) return this.#socket;
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.#received(chunk));
    const lost = () => {
      if (this.#socket === socket) this.#socket = null;
      this.#buffer = Buffer.alloc(0);
      this.#settle(null);
    };
    socket.on('error', lost);
    socket.on('close', lost);
    this.#socket = socket;
    return socket;
  }

  #settle(response: { status: number; body: string } | null): void {
    const pending = this.#pending;
    this.#pending = null;
    pending?.(response);
  }

  #received(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const headerEnd = this.#buffer.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.#buffer.toString('latin1', 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length === null) {
      // Not a response this client understands: count it as a failed connection.
      this.close();
      this.#settle(null);
      return;
    }
    const bodyEnd = headerEnd + 4 + Number(length[1]);
    if (this.#buffer.length < bodyEnd) return;
    const body = this.#buffer.toString('utf8', headerEnd + 4, bodyEnd);
    this.#buffer = this.#buffer.subarray(bodyEnd);
    this.#settle({ status, body });
  }
}

function requestBytes(request: AutocannonRequest, host: string): Buffer {
  const body = request.body === undefined ? null : Buffer.from(request.body);
  let head = `${request.method ?? 'GET'} ${request.path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of Object.entries(request.headers ?? {}))
    head += `${name}: ${value}\r\n`;
  if (body !== null) head += `content-length: ${body.length}\r\n`;
  head += '\r\n';
  return body === null ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head), body]);
}

/** The value at quantile `q` of sorted `values`. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runPaced(
  options: LoadOptions & { readonly overallRate: number },
): Promise<LoadResult> {
  const expect = new Set(options.expect ?? [200]);
  const base = new URL(options.url);
  const port = Number(base.port || 80);
  // An open load stands for many independent clients: with only the closed loop's connections,
  // requests due together (a tick's worth) waited for each other in this generator at rates near
  // the maximum, and that wait read as the server's latency.
  const connections = Array.from(
    { length: Math.max(options.connections, PACED_CONNECTIONS) },
    () => new Connection(base.hostname, port),
  );
  const free = [...connections];
  /** Issue times (performance.now()) of requests waiting for a free connection. */
  const waiting: number[] = [];
  const latencies: number[] = [];
  let errors = 0;
  let unexpected = 0;
  let inFlight = 0;

  const send = (connection: Connection, issuedAt: number): void => {
    const description = options.requests[connection.next % options.requests.length]!;
    connection.next++;
    const built = (description.setupRequest?.({ ...description }, connection.context) ??
      description) as AutocannonRequest;
    inFlight++;
    void connection.exchange(requestBytes(built, base.host)).then((response) => {
      inFlight--;
      if (response === null) errors++;
      else {
        latencies.push(performance.now() - issuedAt);
        if (!expect.has(response.status)) unexpected++;
        built.onResponse?.(response.status, response.body, connection.context);
      }
      const nextDue = waiting.shift();
      if (nextDue === undefined) free.push(connection);
      else send(connection, nextDue);
    });
  };

  const started = performance.now();
  const end = started + options.duration * 1000;
  const interval = 1000 / options.overallRate;
  let issued = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const issuedAt = performance.now();
      const now = Math.min(issuedAt, end);
      // Every request due by now (the i-th is due at started + i × interval).
      while (started + issued * interval <= now) {
        issued++;
        const connection = free.pop();
        if (connection === undefined) waiting.push(issuedAt);
        else send(connection, issuedAt);
      }
      if (performance.now() < end) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Requests issued but still waiting for a connection are sent as connections free up (their
  // wait counts).
  while (inFlight > 0 || waiting.length > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  for (const connection of connections) connection.close();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    rps: Math.max(0, latencies.length - unexpected) / seconds,
    requests: latencies.length,
    p50Ms: round(quantile(latencies, 0.5)),
    p99Ms: round(quantile(latencies, 0.99)),
    maxMs: round(latencies.at(-1) ?? 0),
    errors: errors + unexpected,
    seconds,
  };
}
