// HTTP to the homeserver: every call is relative to `matrix.endpoint`, carries
// `Authorization: Bearer <matrix.secret>`, has a timeout, and fails only with `HomeserverError`.
// The connections (./synapse-connection.ts, ./synapse-legacy-connection.ts) say which statuses
// mean what for each operation.
//
// Calls go through node:http(s) with a keep-alive agent, not `fetch`: a compat login makes one
// call (the device) before it answers, and fetch's WHATWG machinery (streams, a timeout signal
// whose timer outlives the call) cost 3-4 times the CPU of the same request on node:http
// (docs/performance.md). What fetch did is kept: connections are reused and closed after 4 s
// idle (undici's default), a redirect is an error (`redirect: 'error'`: the homeserver API never
// redirects, and the bearer secret must not follow one), the body is decoded as UTF-8 without a
// byte-order mark, and POST and PUT without a body send `content-length: 0`.

import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HomeserverError } from './homeserver-error.ts';

/** How long one call may take before it counts as failed (MAS uses reqwest's defaults; 10 s). */
export const DEFAULT_HOMESERVER_TIMEOUT_MS = 10_000;

export interface HomeserverHttpOptions {
  /** Base URL, e.g. `http://localhost:8008/` (a sub-path is kept). */
  readonly endpoint: string;
  readonly secret: string;
  readonly timeoutMs?: number;
  /** Aborts every call (the worker shutting down); optional. */
  readonly signal?: AbortSignal;
}

export interface HomeserverResponse {
  readonly status: number;
  /** The parsed JSON body, or null for an empty or non-JSON body. */
  readonly body: unknown;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Idle keep-alive connections are closed after this long (what fetch's undici pool did). */
const IDLE_CONNECTION_MS = 4000;
/** Statuses fetch follows as redirects, which `redirect: 'error'` turned into a network error. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const utf8 = new TextDecoder();

export class HomeserverHttp {
  readonly #base: URL;
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;
  readonly #send: typeof httpRequest;
  readonly #agent: HttpAgent;

  constructor(options: HomeserverHttpOptions) {
    const base = new URL(options.endpoint);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.#base = base;
    this.#secret = options.secret;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_HOMESERVER_TIMEOUT_MS;
    this.#signal = options.signal;
    const https = base.protocol === 'https:';
    this.#send = https ? httpsRequest : httpRequest;
    const agentOptions = { keepAlive: true, timeout: IDLE_CONNECTION_MS };
    this.#agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  get endpoint(): string {
    return this.#base.toString();
  }

  /**
   * One call. Resolves with any HTTP answer (the caller judges the status); throws
   * `HomeserverError` when no answer came.
   */
  request(
    operation: string,
    method: HttpMethod,
    path: string,
    options: { query?: Record<string, string>; json?: unknown } = {},
  ): Promise<HomeserverResponse> {
    // `path` is relative (no leading slash), so a sub-path in the endpoint is kept.
    const url = new URL(path.replace(/^\//, ''), this.#base);
    for (const [name, value] of Object.entries(options.query ?? {}))
      url.searchParams.set(name, value);
    const body = options.json === undefined ? null : Buffer.from(JSON.stringify(options.json));
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${this.#secret}`,
      accept: 'application/json',
    };
    if (body !== null) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = body.length;
    } else if (method === 'POST' || method === 'PUT') {
      headers['content-length'] = 0;
    }
    const origin = this.#base.origin;
    const external = this.#signal;

    return new Promise<HomeserverResponse>((resolve, reject) => {
      let request: ClientRequest | null = null;
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        clearTimeout(timer);
        external?.removeEventListener('abort', onAbort);
        return true;
      };
      const fail = (
        kind: 'unreachable' | 'timeout' | 'aborted',
        message: string,
        cause: unknown,
      ) => {
        if (!finish()) return;
        request?.destroy();
        reject(new HomeserverError(kind, operation, message, { cause }));
      };
      const onAbort = (): void =>
        fail('aborted', 'the call was cancelled', external?.reason ?? new Error('aborted'));
      const timer = setTimeout(
        () =>
          fail(
            'timeout',
            `no answer from ${origin} within ${this.#timeoutMs / 1000} s`,
            new Error('timeout'),
          ),
        this.#timeoutMs,
      );
      if (external?.aborted === true) {
        onAbort();
        return;
      }
      external?.addEventListener('abort', onAbort, { once: true });

      request = this.#send(url, { method, headers, agent: this.#agent }, (response) => {
        const status = response.statusCode ?? 0;
        if (REDIRECTS.has(status)) {
          response.resume();
          fail(
            'unreachable',
            `cannot reach ${origin}: unexpected redirect`,
            new Error(`HTTP ${status} redirect`),
          );
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) =>
          fail('unreachable', `cannot reach ${origin}: ${networkReason(error)}`, error),
        );
        response.on('end', () => {
          if (!finish()) return;
          const text = utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
          let parsed: unknown = null;
          if (text !== '') {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = null;
            }
          }
          resolve({ status, body: parsed });
        });
      });
      request.on('error', (error) =>
        fail('unreachable', `cannot reach ${origin}: ${networkReason(error)}`, error),
      );
      request.end(body ?? undefined);
    });
  }
}

/** The low-level reason of a failed call (`ECONNREFUSED`, …), in one line. */
function networkReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

/** The Matrix `errcode` of an error body, or null. */
export function errcodeOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const errcode = (body as { errcode?: unknown }).errcode;
  return typeof errcode === 'string' ? errcode : null;
}

/** The error for an answer whose status the operation does not expect. */
export function unexpectedStatus(operation: string, response: HomeserverResponse): HomeserverError {
  const errcode = errcodeOf(response.body);
  const error = (response.body as { error?: unknown } | null)?.error;
  const detail =
    errcode === null
      ? ''
      : ` (${errcode}${typeof error === 'string' ? `: ${error.slice(0, 200)}` : ''})`;
  const hint =
    response.status === 403 || response.status === 401
      ? '; check that matrix.secret matches the homeserver’s secret'
      : '';
  return new HomeserverError(
    'status',
    operation,
    `unexpected HTTP ${response.status}${detail}${hint}`,
    { status: response.status, errcode },
  );
}

/** Accepts the listed statuses; anything else is a `HomeserverError`. */
export function expectStatus(
  operation: string,
  response: HomeserverResponse,
  ...statuses: number[]
): HomeserverResponse {
  if (!statuses.includes(response.status)) throw unexpectedStatus(operation, response);
  return response;
}
