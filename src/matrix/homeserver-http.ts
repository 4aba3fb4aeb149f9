// HTTP to the homeserver: every call is relative to `matrix.endpoint`, carries
// `Authorization: Bearer <matrix.secret>`, has a timeout, and fails only with `HomeserverError`.
// The connections (./synapse-connection.ts, ./synapse-legacy-connection.ts) say which statuses
// mean what for each operation.

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

export class HomeserverHttp {
  readonly #base: URL;
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  constructor(options: HomeserverHttpOptions) {
    const base = new URL(options.endpoint);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.#base = base;
    this.#secret = options.secret;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_HOMESERVER_TIMEOUT_MS;
    this.#signal = options.signal;
  }

  get endpoint(): string {
    return this.#base.toString();
  }

  /**
   * One call. Resolves with any HTTP answer (the caller judges the status); throws
   * `HomeserverError` when no answer came.
   */
  async request(
    operation: string,
    method: HttpMethod,
    path: string,
    options: { query?: Record<string, string>; json?: unknown } = {},
  ): Promise<HomeserverResponse> {
    // `path` is relative (no leading slash), so a sub-path in the endpoint is kept.
    const url = new URL(path.replace(/^\//, ''), this.#base);
    for (const [name, value] of Object.entries(options.query ?? {}))
      url.searchParams.set(name, value);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#secret}`,
      accept: 'application/json',
    };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = this.#signal === undefined ? timeout : AbortSignal.any([timeout, this.#signal]);

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        signal,
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      if (timeout.aborted) {
        throw new HomeserverError(
          'timeout',
          operation,
          `no answer from ${this.#base.origin} within ${this.#timeoutMs / 1000} s`,
          { cause: error },
        );
      }
      if (this.#signal?.aborted === true) {
        throw new HomeserverError('aborted', operation, 'the call was cancelled', { cause: error });
      }
      throw new HomeserverError(
        'unreachable',
        operation,
        `cannot reach ${this.#base.origin}: ${networkReason(error)}`,
        { cause: error },
      );
    }
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    return { status: response.status, body };
  }
}

/** The low-level reason of a fetch failure (`ECONNREFUSED`, …), in one line. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause !== undefined && typeof cause.code === 'string') return cause.code;
  if (cause !== undefined && typeof cause.message === 'string') return cause.message;
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
