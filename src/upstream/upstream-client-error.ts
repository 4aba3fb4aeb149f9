// The one error type of talking to an upstream provider: what went wrong (`kind`, for the status
// and the page the flow shows), one line the user may read, and the detail only the log gets.
// `fromOpenidClient` sorts openid-client's errors into these kinds in one place.

import {
  AuthorizationResponseError,
  ClientError,
  ResponseBodyError,
  WWWAuthenticateChallengeError,
} from 'openid-client';
import { UpstreamClientConfigError } from './upstream-client-auth.ts';

export type UpstreamFailureKind =
  /** The provider's settings cannot work (missing endpoint or secret, http endpoint refused). */
  | 'configuration'
  /** Discovery failed or its metadata was refused. */
  | 'discovery'
  /** The provider answered the authorization request with an error (`error=access_denied`, ...). */
  | 'provider_error'
  /** The token endpoint refused the code or our client authentication. */
  | 'token_endpoint'
  /** An answer failed validation: ID token issuer, audience, signature, nonce, expiry, state, PKCE... */
  | 'invalid_response'
  /** The userinfo endpoint failed or its answer was refused. */
  | 'userinfo'
  /** The provider could not be reached in time. */
  | 'unreachable';

const USER_MESSAGES: Record<UpstreamFailureKind, string> = {
  configuration: 'This sign-in provider is not set up correctly. Contact the administrator.',
  discovery: 'The sign-in provider could not be contacted correctly. Try again later.',
  provider_error: 'The sign-in provider did not let you sign in.',
  token_endpoint: 'The sign-in provider refused to complete the sign-in. Try again.',
  invalid_response: 'The answer from the sign-in provider could not be verified. Try again.',
  userinfo: 'Your profile could not be read from the sign-in provider. Try again.',
  unreachable: 'The sign-in provider could not be reached. Try again later.',
};

export class UpstreamClientError extends Error {
  override readonly name = 'UpstreamClientError';
  readonly kind: UpstreamFailureKind;
  /** The OAuth `error` code the provider sent, when it sent one. */
  readonly providerError: string | null;
  readonly providerErrorDescription: string | null;

  constructor(
    kind: UpstreamFailureKind,
    detail: string,
    options: {
      providerError?: string | null;
      providerErrorDescription?: string | null;
      cause?: unknown;
    } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.providerError = options.providerError ?? null;
    this.providerErrorDescription = options.providerErrorDescription ?? null;
  }

  /** One line for the user; never the internal detail. */
  get userMessage(): string {
    return USER_MESSAGES[this.kind];
  }
}

function isNetworkFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.name === 'TimeoutError' || current.name === 'AbortError') return true;
    if (current instanceof TypeError && current.message === 'fetch failed') return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ECONN|ENOTFOUND|EAI_|ETIMEDOUT|UND_ERR)/.test(code)) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

/**
 * Sorts an error thrown while talking to the provider; `during` says which step failed when the
 * error itself does not (a validation failure at the userinfo step is a userinfo failure).
 */
export function fromOpenidClient(
  error: unknown,
  during: 'discovery' | 'token' | 'userinfo',
): UpstreamClientError {
  if (error instanceof UpstreamClientError) return error;
  if (error instanceof UpstreamClientConfigError) {
    return new UpstreamClientError('configuration', error.message, { cause: error });
  }
  if (error instanceof AuthorizationResponseError) {
    return new UpstreamClientError(
      'provider_error',
      `provider error ${error.error}: ${error.error_description ?? ''}`,
      {
        providerError: error.error,
        providerErrorDescription: error.error_description ?? null,
        cause: error,
      },
    );
  }
  if (error instanceof ResponseBodyError) {
    return new UpstreamClientError(
      during === 'userinfo' ? 'userinfo' : 'token_endpoint',
      `${during} endpoint error ${error.error}: ${error.error_description ?? ''} (HTTP ${error.status})`,
      {
        providerError: error.error,
        providerErrorDescription: error.error_description ?? null,
        cause: error,
      },
    );
  }
  if (error instanceof WWWAuthenticateChallengeError) {
    // A 401 with a challenge (a refused client authentication or access token).
    const parameters = error.cause[0]?.parameters;
    return new UpstreamClientError(
      during === 'userinfo' ? 'userinfo' : 'token_endpoint',
      `${during} endpoint challenge ${error.cause[0]?.scheme ?? ''} (HTTP ${error.status}): ${parameters?.error ?? ''} ${parameters?.error_description ?? ''}`,
      {
        providerError: parameters?.error ?? null,
        providerErrorDescription: parameters?.error_description ?? null,
        cause: error,
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  if (isNetworkFailure(error)) {
    return new UpstreamClientError('unreachable', `${during}: ${message}`, { cause: error });
  }
  const code = error instanceof ClientError ? error.code : undefined;
  if (code === 'OAUTH_HTTP_REQUEST_FORBIDDEN') {
    return new UpstreamClientError('configuration', `${during}: ${message}`, { cause: error });
  }
  const kind: UpstreamFailureKind =
    during === 'discovery' ? 'discovery' : during === 'userinfo' ? 'userinfo' : 'invalid_response';
  return new UpstreamClientError(kind, `${during}: ${code ?? 'error'}: ${message}`, {
    cause: error,
  });
}
