// The one error a homeserver connection throws. `message` is a single line an operator can act on
// ("homeserver upsert_device: cannot reach http://…: connection refused"); callers show it as is.

export type HomeserverErrorKind =
  /** Nothing answered: connection refused, DNS failure, reset. */
  | 'unreachable'
  /** No answer within the connection's timeout. */
  | 'timeout'
  /** An answer with an unexpected status (the Matrix `errcode` kept when there is one). */
  | 'status'
  /** A 2xx answer whose body is not what the API promises. */
  | 'invalid-response'
  /** The caller gave up (worker shutting down). */
  | 'aborted';

export class HomeserverError extends Error {
  override readonly name = 'HomeserverError';
  readonly kind: HomeserverErrorKind;
  /** The API operation, e.g. `upsert_device`. */
  readonly operation: string;
  readonly status: number | null;
  readonly errcode: string | null;

  constructor(
    kind: HomeserverErrorKind,
    operation: string,
    message: string,
    options: { status?: number; errcode?: string | null; cause?: unknown } = {},
  ) {
    super(`homeserver ${operation}: ${message}`, { cause: options.cause });
    this.kind = kind;
    this.operation = operation;
    this.status = options.status ?? null;
    this.errcode = options.errcode ?? null;
  }
}
