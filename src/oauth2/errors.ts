// OAuth 2.0 errors (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8628 §3.5, OIDC Core §3.1.2.6) and the one
// place that turns them into an HTTP response. Handlers throw `OAuthError`; `sendOAuthError` writes
// the status, the JSON body and the headers. Anything else that reaches it is a bug: it is logged
// and answered with a bare `server_error`, never a stack trace.
//
// To add an error code: add it to `OAUTH_ERROR_STATUS` with its default status.

import type { FastifyReply } from 'fastify';

/** Every error code Gatehouse sends, with the status it gets unless the thrower says otherwise. */
export const OAUTH_ERROR_STATUS = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  unsupported_response_type: 400,
  unsupported_token_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_client_metadata: 400,
  invalid_redirect_uri: 400,
  authorization_pending: 403,
  slow_down: 403,
  expired_token: 403,
  login_required: 400,
  consent_required: 400,
  interaction_required: 400,
  server_error: 500,
  temporarily_unavailable: 503,
} as const;

export type OAuthErrorCode = keyof typeof OAUTH_ERROR_STATUS;

/** Realm announced in `WWW-Authenticate` when a client fails to authenticate. */
export const CLIENT_AUTH_REALM = 'gatehouse';

export interface OAuthErrorOptions {
  status?: number;
  /** The `WWW-Authenticate` header value, for 401 responses. */
  wwwAuthenticate?: string;
  /** What went wrong, for the log only (never sent). */
  detail?: string;
  cause?: unknown;
}

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly error: OAuthErrorCode;
  /** The public `error_description`: one line, safe to show to anyone. */
  readonly description: string | undefined;
  readonly status: number;
  readonly wwwAuthenticate: string | undefined;
  readonly detail: string | undefined;

  constructor(error: OAuthErrorCode, description?: string, options: OAuthErrorOptions = {}) {
    super(description ?? error, options.cause === undefined ? {} : { cause: options.cause });
    this.error = error;
    this.description = description;
    this.status = options.status ?? OAUTH_ERROR_STATUS[error];
    this.detail = options.detail;
    this.wwwAuthenticate =
      options.wwwAuthenticate ??
      (error === 'invalid_client' && this.status === 401
        ? `Basic realm="${CLIENT_AUTH_REALM}"`
        : undefined);
  }

  /** The JSON body of the response. */
  toJSON(): { error: string; error_description?: string } {
    return this.description === undefined
      ? { error: this.error }
      : { error: this.error, error_description: this.description };
  }
}

export const invalidRequest = (description: string, options?: OAuthErrorOptions): OAuthError =>
  new OAuthError('invalid_request', description, options);

/**
 * A client that failed to authenticate: 401 with `WWW-Authenticate: Basic`, as RFC 6749 §5.2 asks
 * when Basic was tried and allows otherwise (MAS answers 401 in every case).
 */
export const invalidClient = (description: string, options?: OAuthErrorOptions): OAuthError =>
  new OAuthError('invalid_client', description, options);

/** Writes `error` as the response. Errors that are not OAuthErrors become a logged 500. */
export function sendOAuthError(reply: FastifyReply, error: unknown): FastifyReply {
  const oauth =
    error instanceof OAuthError
      ? error
      : new OAuthError('server_error', undefined, { cause: error });
  if (oauth.status >= 500) {
    reply.log.error({ err: oauth.cause ?? oauth }, 'OAuth request failed');
  } else {
    reply.log.info(
      { oauth_error: oauth.error, description: oauth.description, detail: oauth.detail },
      'OAuth request rejected',
    );
  }
  if (oauth.wwwAuthenticate !== undefined) reply.header('www-authenticate', oauth.wwwAuthenticate);
  return reply
    .code(oauth.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json; charset=utf-8')
    .send(oauth.toJSON());
}
