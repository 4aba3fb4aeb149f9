// The one error every limiter throws when an action is over its limit. The HTTP edge turns it
// into a 429 with `Retry-After`: an HTML page for people (rate-limit-page.ts), `M_LIMIT_EXCEEDED`
// with `retry_after_ms` for Matrix clients.

import type { LimiterName } from './limiter-spec.ts';

export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  /** Which limiter refused (for logs and metrics; never shown to the user). */
  readonly limiter: LimiterName;
  /** How long until the action is allowed again. */
  readonly retryAfterMs: number;

  constructor(limiter: LimiterName, retryAfterMs: number) {
    super(`rate limit ${limiter} exceeded`);
    this.limiter = limiter;
    this.retryAfterMs = Math.max(0, Math.ceil(retryAfterMs));
  }

  /** The `Retry-After` header value: whole seconds, at least 1. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.retryAfterMs / 1000));
  }
}
